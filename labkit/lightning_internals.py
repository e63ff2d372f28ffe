"""Every use labkit makes of Lightning's private API, in one file a Lightning upgrade can break.

Three needs have no public route: counting an optimizer step without Lightning's per-step hooks
(the direct steps of ``TrainingModule``), the step Lightning's loggers put training rows at (so
that rows a callback logs itself line up with them), and ModelCheckpoint's own save helpers, which
``LastCheckpoint`` reuses so that its ``last.ckpt`` carries exactly the state Lightning's
checkpoints carry (a public-API version made the best-checkpoint callback warn when a finished
run was resumed). ``tests/test_lightning_internals.py`` fails when Lightning renames or changes
any of these, and ``pyproject.toml`` caps pytorch-lightning below its next minor release.
"""

from __future__ import annotations

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.core.optimizer import LightningOptimizer


def counted_optimizer_step(optimizer: LightningOptimizer) -> None:
    """Step the wrapped torch optimizer and count the step, without Lightning's per-step hooks.

    Under manual optimization, ``LightningOptimizer.step`` runs the precision plugin and a dozen
    callback and module hooks (each with a profiler context) around the torch step; where those
    are all no-ops (``GroupedSteps._lightning_step_is_a_no_op``) this saves ~0.25 ms per step.
    The two private callbacks are the ones Lightning's manual loop installs on the optimizer:
    they advance the step progress that ``trainer.global_step`` reads.
    """
    optimizer._on_before_step()
    optimizer.optimizer.step()
    optimizer._on_after_step()


def logger_step(trainer: pl.Trainer) -> int:
    """The step Lightning logs the current training batch's metrics at.

    Lightning's loggers count batches that stepped the optimizer, not ``global_step``: with
    ``steps_per_execution`` K > 1 a batch is a group of K steps, so the two axes differ K-fold.
    """
    return trainer.fit_loop.epoch_loop._batches_that_stepped


def checkpoint_step_interval(callback: ModelCheckpoint) -> int:
    """The ``every_n_train_steps`` a ModelCheckpoint was built with."""
    return callback._every_n_train_steps


def last_saved_step(callback: ModelCheckpoint) -> int:
    """The ``global_step`` at which ``callback`` last saved."""
    return callback._last_global_step_saved


def saves_at_train_epoch_end(callback: ModelCheckpoint, trainer: pl.Trainer) -> bool:
    """Whether ``callback`` saves at the training epoch's end (no validation follows) or after it."""
    return callback._should_save_on_train_epoch_end(trainer)


def save_last_checkpoint(callback: ModelCheckpoint, trainer: pl.Trainer) -> None:
    """Write ``callback``'s ``last.ckpt`` now, unless Lightning would skip it (sanity check, a
    fast dev run, or already saved at this step)."""
    if not callback._should_skip_saving_checkpoint(trainer):
        callback._save_last_checkpoint(trainer, callback._monitor_candidates(trainer))
