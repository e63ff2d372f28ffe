"""``last.ckpt`` at every epoch end and at least every N optimizer steps, however steps are grouped."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Checkpoint
from pytorch_lightning.trainer.states import TrainerFn


class LastCheckpoint(Checkpoint):
    """Keeps ``<dirpath>/last.ckpt`` current, so a crash loses at most ``every_n_train_steps`` steps.

    Saves after each validation (or at the epoch's end when no validation ran) and whenever a
    multiple of N optimizer steps has been passed since its last save, never twice at one step.
    Lightning's ModelCheckpoint falls short on both: with ``save_top_k=0`` it writes
    ``last.ckpt`` only along with a top-k save, so never at an epoch end; and it waits for
    ``global_step % N == 0``, which a module running K steps per Lightning step
    (``steps_per_execution``) can step over, for good after an epoch's shorter last execution.
    Not a time interval: Lightning's ``train_time_interval`` broadcasts across DDP processes
    after every step. ``trainer.save_checkpoint`` writes atomically (a kill mid-write leaves the
    previous file), and as a ``Checkpoint`` this runs after the module's epoch-end hooks.

    Never after an epoch's last batch: the epoch-end save follows it, and a checkpoint taken
    there (before the epoch's validation and end hooks) would be resumed as a finished epoch,
    skipping them: the run would lose that validation (and best.ckpt with it) and, under
    ``steps_per_execution`` > 1, that epoch's scheduler step.

    Args:
        dirpath: the run's checkpoint folder.
        every_n_train_steps: optimizer steps between saves (at least 1).
    """

    def __init__(self, dirpath: str, every_n_train_steps: int) -> None:
        if not isinstance(every_n_train_steps, int) or every_n_train_steps < 1:
            raise ValueError(
                f"every_n_train_steps must be an integer >= 1, got {every_n_train_steps!r}."
            )
        self.path = Path(dirpath) / "last.ckpt"
        self.every = every_n_train_steps
        self._saved_at = -1  # global_step of the last save
        self._validated = False  # whether a validation ended in the current epoch

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._saved_at = trainer.global_step  # a resumed run starts from a saved step

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._validated = False

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        if batch_idx + 1 == trainer.num_training_batches:
            return  # the epoch-end save comes next
        if trainer.global_step // self.every > self._saved_at // self.every:
            self._save(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return
        self._validated = True
        self._save(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._validated:
            self._save(trainer)

    def _save(self, trainer: pl.Trainer) -> None:
        if trainer.fast_dev_run or trainer.sanity_checking or self._saved_at == trainer.global_step:
            return
        trainer.save_checkpoint(self.path)  # on every rank: the strategy writes on rank zero
        self._saved_at = trainer.global_step
