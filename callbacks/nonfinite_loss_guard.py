"""Stop training at the first non-finite loss, before a checkpoint can store the broken weights."""

from __future__ import annotations

import math

import pytorch_lightning as pl
import torch

from labkit.errors import LabkitError


class NonFiniteLossError(LabkitError):
    """The training loss became NaN or infinite."""


class NonFiniteLossGuard(pl.Callback):
    """Raises :class:`NonFiniteLossError` naming the step whose loss was NaN/inf.

    On CPU every step's loss is read at once (``loss.item()``, under a microsecond). On a GPU
    that read would stall the device queue every step, so the guard instead folds each step's
    finiteness into a flag on the device and reads it every ``device_check_every_n_steps`` steps
    and before any checkpoint is saved; the error then names the window of steps.

    Lightning runs checkpoint callbacks after all others, and ``on_save_checkpoint`` comes before
    the file is written, so ``last.ckpt`` keeps the last good weights. Before raising, the guard
    logs ``run/failed = 1`` and ``run/nonfinite_step`` to every logger (a row in metrics.csv, a
    point in W&B); the entry point then marks the W&B run as failed.
    """

    def __init__(self, device_check_every_n_steps: int = 50) -> None:
        if device_check_every_n_steps < 1:
            raise ValueError(
                f"device_check_every_n_steps must be >= 1, got {device_check_every_n_steps}."
            )
        self.device_check_every_n_steps = device_check_every_n_steps
        self._step = 0
        self._all_finite: torch.Tensor | None = None  # device flag since the last read
        self._checked_up_to = -1  # last step known to be finite

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module, batch, batch_idx: int) -> None:
        # global_step counts optimizer steps, and is already advanced by on_train_batch_end.
        self._step = trainer.global_step

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        # One loss, or (K,) losses when the module runs K optimizer steps per Lightning step
        # (steps self._step ... global_step - 1).
        loss = loss.detach()
        if self._reads_are_cheap(loss):
            values = loss.flatten().tolist()
            bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
            if bad is not None:
                step = self._step + bad
                self._fail(trainer, f"{values[bad]} at step {step}", batch_idx, step)
            self._checked_up_to = trainer.global_step - 1
            return
        finite = torch.isfinite(loss).all()
        self._all_finite = finite if self._all_finite is None else self._all_finite & finite
        every = self.device_check_every_n_steps
        if trainer.global_step // every > self._step // every:  # a multiple of `every` passed
            self._read_device_flag(trainer, batch_idx)

    @staticmethod
    def _reads_are_cheap(loss: torch.Tensor) -> bool:
        return loss.device.type == "cpu"

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module, checkpoint: dict) -> None:
        self._read_device_flag(trainer, batch_idx=None)

    def _read_device_flag(self, trainer: pl.Trainer, batch_idx: int | None) -> None:
        if self._all_finite is None:
            return
        finite, self._all_finite = bool(self._all_finite), None
        first, last = self._checked_up_to + 1, trainer.global_step - 1
        if not finite:
            self._fail(trainer, f"not finite between steps {first} and {last}", batch_idx, first)
        self._checked_up_to = last

    def _fail(self, trainer: pl.Trainer, what: str, batch_idx: int | None, step: int) -> None:
        """``step``: the non-finite step, or the first of the window that held one."""
        failure = {"run/failed": 1.0, "run/nonfinite_step": float(step)}
        for logger in trainer.loggers:
            # On the step axis where the loggers are now, so the row is not dropped as out of order.
            logger.log_metrics(failure, step=self._step)
            logger.save()
        where = f"epoch {trainer.current_epoch}" + (
            f", batch {batch_idx}" if batch_idx is not None else ""
        )
        raise NonFiniteLossError(
            f"The training loss is {what} ({where}); training stopped. The last good weights "
            f"are in the run's checkpoints/last.ckpt. Try a lower learning rate "
            f"(model.optimizer.lr) or gradient clipping (trainer.gradient_clip_val=1.0)."
        )
