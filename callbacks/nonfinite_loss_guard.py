"""Stop training at the first non-finite loss, before a checkpoint can store the broken weights."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from labkit.errors import LabkitError


class NonFiniteLossError(LabkitError):
    """The training loss became NaN or infinite."""


class NonFiniteLossGuard(pl.Callback):
    """Raises :class:`NonFiniteLossError` naming the step whose loss was NaN/inf.

    Lightning runs checkpoint callbacks after all others, so the guard fires before any checkpoint
    of that step is written: ``last.ckpt`` keeps the last good weights. Before raising, it logs
    ``run/failed = 1`` and ``run/nonfinite_step`` to every logger (a row in metrics.csv, a point in
    W&B); the entry point then marks the W&B run as failed.
    """

    def __init__(self) -> None:
        self._step = 0

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module, batch, batch_idx: int) -> None:
        # global_step counts optimizer steps, and is already advanced by on_train_batch_end.
        self._step = trainer.global_step

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None or bool(torch.isfinite(loss.detach()).all()):
            return
        step = self._step
        for logger in trainer.loggers:
            logger.log_metrics({"run/failed": 1.0, "run/nonfinite_step": float(step)}, step=step)
            logger.save()
        raise NonFiniteLossError(
            f"The training loss is {float(loss)} at step {step} (epoch {trainer.current_epoch}, "
            f"batch {batch_idx}); training stopped. The last good weights are in the run's "
            f"checkpoints/last.ckpt. Try a lower learning rate (model.optimizer.lr) or gradient "
            f"clipping (trainer.gradient_clip_val=1.0)."
        )
