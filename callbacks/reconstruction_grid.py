"""Test inputs above their reconstructions, from the first test batch."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_warn

from callbacks.first_test_batch_figure import FirstTestBatchFigure
from callbacks.wandb_media import log_image_files
from figures.image_grids import save_image_grid


class ReconstructionGrid(FirstTestBatchFigure):
    """Row 1: the first ``num_images`` inputs of the first test batch; row 2: ``pl_module(x)``.

    For a module whose forward returns the reconstruction, of the input's shape ``(N, C, H, W)``.
    Both rows share the inputs' grey scale (reconstructions are clipped to it), so a faint or
    over-bright reconstruction shows as such. Writes ``<out_dir>/reconstructions.png`` and logs it
    to W&B as ``plots/reconstructions``.

    Args:
        out_dir: folder of the PNG.
        num_images: inputs shown (one column each).
    """

    def __init__(self, out_dir: str, num_images: int = 10) -> None:
        super().__init__(num_images)
        self.path = Path(out_dir) / "reconstructions.png"

    def draw(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, x: torch.Tensor, y: torch.Tensor
    ) -> None:
        x_hat = pl_module(x)
        if x_hat.shape != x.shape:
            # Warn rather than fail: the test metrics of the run are still worth keeping.
            rank_zero_warn(
                f"ReconstructionGrid: the module returned {tuple(x_hat.shape)} for inputs "
                f"{tuple(x.shape)}, not a reconstruction; no reconstructions.png. Use this "
                f"callback with an autoencoder only."
            )
            return
        inputs = x.detach().float().cpu().numpy()
        images = torch.cat([x, x_hat]).detach().float().cpu().numpy()
        n = len(x)
        save_image_grid(
            self.path,
            images,
            ["input"] * n + ["reconstruction"] * n,
            title="Test inputs (top) and their reconstructions (bottom)",
            ncols=n,
            value_range=(float(inputs.min()), float(inputs.max())),
        )
        log_image_files(trainer, "plots/reconstructions", [self.path])
