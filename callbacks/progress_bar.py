"""Lightning's Rich progress bar, redrawn every few batches instead of after every one."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import RichProgressBar


class ThrottledRichProgressBar(RichProgressBar):
    """``RichProgressBar`` whose training bar and metrics update every ``update_every_n_batches``.

    Lightning's bar updates its task and re-reads every progress-bar metric after each training
    batch, and its refresh thread then redraws the whole display (bar plus metrics table) under
    the GIL, which is visible next to a small CPU model's step. Here the bar moves on each
    epoch's first two batches, then every ``update_every_n_batches`` batches and on the epoch's
    last batch; the redraws stay capped at ``refresh_rate`` per second. Rich estimates the time
    left (the bar's ``elapsed • remaining``) from two updates, so the estimate is there from the
    second batch, not only after twice ``update_every_n_batches`` batches.

    Args:
        refresh_rate: most redraws per second (Lightning's meaning); 0 disables the bar.
        update_every_n_batches: training batches between updates of the bar and its metrics.
        leave: keep each epoch's finished bar on screen.
    """

    def __init__(
        self, refresh_rate: int = 20, update_every_n_batches: int = 20, leave: bool = False
    ) -> None:
        if update_every_n_batches < 1:
            raise ValueError(
                f"update_every_n_batches must be >= 1, got {update_every_n_batches}; "
                f"set refresh_rate=0 to hide the bar."
            )
        super().__init__(refresh_rate=refresh_rate, leave=leave)
        self.update_every_n_batches = update_every_n_batches

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        done = batch_idx + 1
        if done <= 2 or done % self.update_every_n_batches == 0 or done == self.total_train_batches:
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        """The progress-bar metrics without ``v_num`` (the logger's run id, not a figure)."""
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics
