"""``last.ckpt`` at every epoch end and at least every N optimizer steps, however steps are grouped."""

from __future__ import annotations

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from callbacks.run_dir_checkpoint import RunDirCheckpoint
from labkit.lightning_internals import (
    checkpoint_step_interval,
    last_saved_step,
    save_last_checkpoint,
    saves_at_train_epoch_end,
)


class LastCheckpoint(RunDirCheckpoint):
    """Keeps ``<dirpath>/last.ckpt`` current, so a crash loses at most ``every_n_train_steps`` steps.

    Saves at each epoch end (after validation, when there is one) and whenever a multiple of N
    optimizer steps has been passed since its last save. Lightning's ModelCheckpoint falls short
    on both: with ``save_top_k=0`` it writes ``last.ckpt`` only along with a top-k save, so never
    at an epoch end; and it waits for ``global_step % N == 0``, which a module running K steps
    per Lightning step (``steps_per_execution``) can step over, for good after an epoch's
    shorter last execution. Not a time interval: Lightning's ``train_time_interval`` broadcasts
    across DDP processes after every step.

    Never after an epoch's last batch: the epoch-end save follows it, and a checkpoint taken
    there (before the epoch's validation and end hooks) would be resumed as a finished epoch,
    skipping them: the run would lose that validation (and best.ckpt with it) and, under
    ``steps_per_execution`` > 1, that epoch's scheduler step.

    And when the run is stopped by SIGTERM (or Ctrl-C, see ``labkit.interrupts``) between two
    batches of an epoch, it saves there and then. Stopped during validation or at an epoch's
    last batch (Lightning stops at the next boundary), the ``last.ckpt`` of the last safe point
    stays: a resume would otherwise skip the epoch's validation and end hooks, as above.

    Args:
        dirpath: the run's checkpoint folder.
        every_n_train_steps: optimizer steps between saves (at least 1).
    """

    def __init__(self, dirpath: str, every_n_train_steps: int) -> None:
        if not isinstance(every_n_train_steps, int) or every_n_train_steps < 1:
            raise ValueError(
                f"every_n_train_steps must be an integer >= 1, got {every_n_train_steps!r}."
            )
        super().__init__(
            dirpath=dirpath, save_top_k=0, save_last=True, every_n_train_steps=every_n_train_steps
        )
        self._between_batches = False  # whether a save now resumes exactly (see on_exception)

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
        every = checkpoint_step_interval(self)
        if trainer.global_step // every > last_saved_step(self) // every:
            save_last_checkpoint(self, trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if saves_at_train_epoch_end(self, trainer):  # no validation follows
            save_last_checkpoint(self, trainer)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._between_batches = False

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not saves_at_train_epoch_end(self, trainer):
            save_last_checkpoint(self, trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, SIGTERMException) and self._between_batches:
            save_last_checkpoint(self, trainer)
