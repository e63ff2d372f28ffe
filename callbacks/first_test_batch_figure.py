"""The base of the callbacks that draw one figure from the first test batch."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only

from labkit.errors import ConfigError


class FirstTestBatchFigure(pl.Callback):
    """Hands the first ``num_images`` samples of the first test batch to ``draw``, on rank zero.

    A subclass implements ``draw(trainer, pl_module, x, y)``, called once per test run, at the end
    of batch 0 of dataloader 0, under ``torch.no_grad()``, with ``x: (n, C, H, W)`` and its labels
    ``y: (n,)`` or ``(n, T)`` (``n`` is ``num_images``, or fewer in a smaller batch). Test batches
    are ``(x, y)``, as this project's datamodules make them.

    Args:
        num_images: samples to hand to ``draw``; a positive integer.
    """

    def __init__(self, num_images: int) -> None:
        if isinstance(num_images, bool) or not isinstance(num_images, int) or num_images <= 0:
            raise ConfigError(
                f"{type(self).__name__} num_images must be a positive integer, got {num_images!r}."
            )
        self.num_images = num_images

    @rank_zero_only
    def on_test_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs,
        batch,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if batch_idx != 0 or dataloader_idx != 0:
            return
        x, y = batch[0][: self.num_images], batch[1][: self.num_images]
        with torch.no_grad():
            self.draw(trainer, pl_module, x, y)

    def draw(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, x: torch.Tensor, y: torch.Tensor
    ) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must implement draw(trainer, pl_module, x, y)."
        )
