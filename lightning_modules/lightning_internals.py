"""Lightning's private step callbacks, kept here so a Lightning upgrade breaks one file.

The only other private use is ``callbacks/last_checkpoint.py`` (a ModelCheckpoint subclass that
calls its save helpers). ``tests/test_lightning_internals.py`` fails when Lightning renames or
changes either, and ``pyproject.toml`` caps pytorch-lightning below its next minor release.
"""

from __future__ import annotations

from pytorch_lightning.core.optimizer import LightningOptimizer


def counted_optimizer_step(optimizer: LightningOptimizer) -> None:
    """Step the wrapped torch optimizer and count the step, without Lightning's per-step hooks.

    Under manual optimization, ``LightningOptimizer.step`` runs the precision plugin and a dozen
    callback and module hooks (each with a profiler context) around the torch step; where those
    are all no-ops (``TrainingModule._lightning_step_is_a_no_op``) this saves ~0.25 ms per step.
    The two private callbacks are the ones Lightning's manual loop installs on the optimizer:
    they advance the step progress that ``trainer.global_step`` reads.
    """
    optimizer._on_before_step()
    optimizer.optimizer.step()
    optimizer._on_after_step()
