"""``last.ckpt`` at every epoch end, every N optimizer steps and at a SIGTERM between batches."""

from __future__ import annotations

import os

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from callbacks.run_dir_checkpoint import RunDirCheckpoint


class LastCheckpoint(RunDirCheckpoint):
    """Keeps ``<dirpath>/last.ckpt`` current, so a crash loses at most ``every_n_train_steps`` steps.

    Lightning's ModelCheckpoint takes either a step interval or an epoch interval, not both, and
    with ``save_top_k=0`` it writes ``last.ckpt`` only along with a top-k save. This subclass
    saves through ``trainer.save_checkpoint`` from public hooks: at each training epoch's end
    (after its validation and after the best-checkpoint callback, since Lightning runs checkpoint
    callbacks last and in config order), every N optimizer steps, and when the run is stopped
    by SIGTERM (or Ctrl-C, see ``labkit.interrupts``) between two batches of an epoch. It is a
    ModelCheckpoint (with its own saving switched off) only for that ordering.

    Never after an epoch's last batch: the epoch-end save follows it, and a checkpoint taken
    there (before the epoch's validation and end hooks) would be resumed as a finished epoch,
    skipping them: the run would lose that validation, and best.ckpt with it. For the same
    reason a stop during validation or at an epoch's last batch keeps the ``last.ckpt`` of the
    last safe point. Not a time interval: Lightning's ``train_time_interval`` broadcasts across
    DDP processes after every step.

    Args:
        dirpath: the run's checkpoint folder.
        every_n_train_steps: optimizer steps between saves (at least 1).
    """

    FILENAME = "last.ckpt"

    def __init__(self, dirpath: str, every_n_train_steps: int) -> None:
        if not isinstance(every_n_train_steps, int) or every_n_train_steps < 1:
            raise ValueError(
                f"every_n_train_steps must be an integer >= 1, got {every_n_train_steps!r}."
            )
        super().__init__(dirpath=dirpath, save_top_k=0, save_last=False, every_n_epochs=0)
        self.every_n_steps = every_n_train_steps
        self._saved_step = -1
        self._between_batches = False  # whether a save now resumes exactly (see on_exception)

    def save_now(self, trainer: pl.Trainer) -> None:
        """Write ``last.ckpt`` unless it holds this step already or this is no real fit."""
        if (
            trainer.fast_dev_run
            or trainer.sanity_checking
            or trainer.global_step == self._saved_step
        ):
            return
        path = os.path.join(self.dirpath, self.FILENAME)
        trainer.save_checkpoint(path, weights_only=False)
        self._saved_step = trainer.global_step
        self.last_model_path = path  # ModelCheckpoint's public record of its newest file

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._saved_step = trainer.global_step  # a resumed run starts from a saved step

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int
    ) -> None:
        self._between_batches = False

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        if batch_idx + 1 == trainer.num_training_batches:
            return  # the epoch-end save comes next
        self._between_batches = True
        if trainer.global_step // self.every_n_steps > self._saved_step // self.every_n_steps:
            self.save_now(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.save_now(trainer)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._between_batches = False

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, SIGTERMException) and self._between_batches:
            self.save_now(trainer)
