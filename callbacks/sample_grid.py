"""A grid of the first training samples with their labels, drawn when fitting starts."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_image_files
from figures.image_grids import save_image_grid
from labkit.errors import ConfigError


def caption_labels(labels: torch.Tensor, class_names: tuple[str, ...] | None) -> list[str]:
    """One caption per sample: its class name, or ``"3 | 7"`` for one label per task.

    Args:
        labels: ``(N,)`` single labels or ``(N, T)`` one label per task.
        class_names: names indexed by label; the label's number when ``None``.
    """
    name = (lambda k: class_names[k]) if class_names else str
    rows = labels.reshape(len(labels), -1).tolist()
    return [" | ".join(name(int(k)) for k in row) for row in rows]


class SampleGrid(pl.Callback):
    """At fit start, draws the first ``num_images`` samples of ``datamodule.splits["train"]``.

    The datamodule's ``splits`` maps a split to ``(x: (N, C, H, W) float, y: (N,) or (N, T))``;
    captions use its ``class_names`` when it has them. Writes ``<out_dir>/<filename>`` and logs it
    to W&B as ``plots/samples``.

    Args:
        out_dir: folder of the PNG.
        num_images: how many samples (5 per row).
        filename: name of the PNG.
    """

    def __init__(self, out_dir: str, num_images: int = 5, filename: str = "samples.png") -> None:
        if not isinstance(num_images, int) or num_images <= 0:
            raise ConfigError(
                f"SampleGrid num_images must be a positive integer, got {num_images!r}."
            )
        self.path = Path(out_dir) / filename
        self.num_images = num_images

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # Checked on every process before training starts, so a mismatch costs no epochs.
        if stage == "fit" and "train" not in getattr(trainer.datamodule, "splits", {}):
            raise ConfigError(
                f"SampleGrid draws from the datamodule's splits['train'], which "
                f"{type(trainer.datamodule).__name__} does not have after setup. Remove the "
                f"sample_grid callback for this data."
            )

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        x, y = trainer.datamodule.splits["train"]
        x, y = x[: self.num_images], y[: self.num_images]
        captions = caption_labels(y, getattr(trainer.datamodule, "class_names", None))
        save_image_grid(
            self.path,
            x.detach().float().cpu().numpy(),
            captions,
            title=f"The first {len(x)} training samples with their labels",
            ncols=min(5, len(x)),
        )
        log_image_files(trainer, "plots/samples", [self.path])
