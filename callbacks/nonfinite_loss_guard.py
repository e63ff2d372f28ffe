"""Stop training at the first non-finite loss, weight or validation loss, before a checkpoint stores it."""

from __future__ import annotations

import math

import pytorch_lightning as pl
import torch
from torchmetrics import Metric

from labkit.checkpoints import read_checkpoint
from labkit.errors import LabkitError


class NonFiniteLossError(LabkitError):
    """The training loss, the weights or the validation loss became NaN or infinite."""


class NonFiniteLossGuard(pl.Callback):
    """Raises :class:`NonFiniteLossError` naming the step whose loss was NaN/inf.

    On CPU every step's loss is read at once (``loss.item()``, under a microsecond). On a GPU
    that read would stall the device queue every step, so the guard instead folds each step's
    finiteness into a flag on the device and reads it every ``device_check_every_n_steps`` steps
    and before any checkpoint is saved; the error then names the window of steps.

    A finite loss does not make finite weights: one step with a huge learning rate turns them
    into inf while the loss that step read was fine. So every checkpoint's weights are checked
    in ``on_save_checkpoint``, which comes before the file is written, and a non-finite
    validation metric stops the run in ``on_validation_end``, which Lightning runs before the
    checkpoint callbacks' (so it never becomes ``best.ckpt``). Every checkpoint the run writes
    therefore holds finite weights; the error names the newest one, or says there is none.
    Before raising, the guard
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
        loss = loss.detach()
        if self._reads_are_cheap(loss):
            value = loss.item()
            if not math.isfinite(value):
                self._fail(trainer, f"{value} at step {self._step}", batch_idx, self._step)
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
        bad = _nonfinite_tensors(checkpoint.get("state_dict", {}), _weight_names(pl_module))
        if bad:
            count = sum(n for _, n in bad)
            names = ", ".join(name for name, _ in bad[:3])
            self._fail(
                trainer,
                f"finite, but the weights are not ({count} non-finite values in {names})",
                None,
                trainer.global_step,
            )

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._read_device_flag(trainer, batch_idx=None)  # a NaN training loss is the first cause
        for key, value in trainer.callback_metrics.items():
            if key.startswith("val/") and not math.isfinite(float(value)):
                self._fail(
                    trainer,
                    f"finite, but {key} is {float(value)}",
                    None,
                    trainer.global_step,
                )

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
            f"The training loss is {what} ({where}); training stopped, nothing more was saved. "
            f"{_good_checkpoints(trainer, _weight_names(trainer.lightning_module))} Try a lower learning rate "
            f"(model.optimizer.lr) or gradient clipping (trainer.gradient_clip_val=1.0)."
        )


def _weight_names(pl_module: pl.LightningModule) -> set[str]:
    """The state-dict names of the module's parameters and buffers, not its metrics' states.

    A metric's state may be infinite by design (a running maximum starts at -inf).
    """
    metrics = [f"{name}." for name, m in pl_module.named_modules() if isinstance(m, Metric)]
    names = [n for n, _ in pl_module.named_parameters()] + [n for n, _ in pl_module.named_buffers()]
    return {n for n in names if not n.startswith(tuple(metrics))}


def _nonfinite_tensors(state_dict: dict, names: set[str]) -> list[tuple[str, int]]:
    """``(name, count)`` of every floating-point tensor ``names`` in ``state_dict`` with NaN/inf."""
    bad = []
    for name, tensor in state_dict.items():
        if name not in names:
            continue
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            count = int((~torch.isfinite(tensor)).sum())
            if count:
                bad.append((name, count))
    return bad


def _good_checkpoints(trainer: pl.Trainer, names: set[str]) -> str:
    """Which of the run's checkpoint files exist and hold finite weights, as a sentence."""
    paths = sorted(
        {
            path
            for callback in trainer.checkpoint_callbacks
            for path in (
                getattr(callback, "last_model_path", ""),
                getattr(callback, "best_model_path", ""),
            )
            if path
        }
    )
    good = []
    for path in paths:
        try:
            if not _nonfinite_tensors(read_checkpoint(path).get("state_dict", {}), names):
                good.append(path)
        except LabkitError:  # gone or unreadable: not a place to resume from
            continue
    if not good:
        return "No checkpoint with finite weights was saved before this point."
    return "The last good weights are in " + " and ".join(good) + " (finite, checked)."
