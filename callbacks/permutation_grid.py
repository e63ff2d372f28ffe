"""A PNG of permuted training images beside their originals (PermutedFashionMNIST)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.sample_grid import caption_labels
from callbacks.wandb_media import log_image_files
from figures.image_grids import save_image_grid
from labkit.errors import ConfigError


class PermutationGrid(pl.Callback):
    """At fit start, the first ``num_images`` training images: originals above, permuted below.

    Draws from a datamodule with ``splits["train"]`` (the permuted images) and
    ``inverse_permutation`` (``PermutedFashionMNISTDataModule``); with data that permutes nothing
    it draws nothing, so one sweep over permuted and plain data keeps one callback list. Writes
    ``<out_dir>/permuted_samples.png``, logged to W&B as ``plots/permuted_samples``.

    Args:
        out_dir: folder of the PNG.
        num_images: how many images (one column each).
    """

    def __init__(self, out_dir: str, num_images: int = 8) -> None:
        if not isinstance(num_images, int) or num_images <= 0:
            raise ConfigError(
                f"PermutationGrid num_images must be a positive integer, got {num_images!r}."
            )
        self.path = Path(out_dir) / "permuted_samples.png"
        self.num_images = num_images

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        datamodule = trainer.datamodule
        if not hasattr(datamodule, "inverse_permutation"):
            return
        permuted, labels = (t[: self.num_images] for t in datamodule.splits["train"])
        original = permuted.flatten(1)[:, datamodule.inverse_permutation].reshape(permuted.shape)
        names = caption_labels(labels, getattr(datamodule, "class_names", None))
        captions = names + [f"permuted {name}" for name in names]
        images = np.concatenate([original.cpu().numpy(), permuted.cpu().numpy()])
        save_image_grid(
            self.path,
            images,
            captions,
            title="Training images (top) and the same images with their pixels permuted (bottom)",
            ncols=len(permuted),
        )
        log_image_files(trainer, "plots/permuted_samples", [self.path])
