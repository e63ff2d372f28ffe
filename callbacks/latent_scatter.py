"""A scatter of the codes of every test sample, coloured by label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_image_files
from figures.scatter import save_scatter
from labkit.errors import ConfigError


class LatentScatter(pl.Callback):
    """Scatters ``pl_module.net.forward_features(x)`` of all test batches, at the end of testing.

    The codes ``(N, D)`` are plotted by their first two dimensions (the title says so when
    ``D > 2``; a 1-d code is plotted against the label), coloured by the label ``y: (N,)`` (by the
    first task's for ``(N, T)`` labels), with the datamodule's ``class_names`` in the legend.
    Writes ``<out_dir>/latent_codes.png``, logs it to W&B as ``plots/latent_codes`` and keeps the
    number of points drawn in ``plotted_count``. Under DDP it shows rank zero's share of the test
    set.

    Args:
        out_dir: folder of the PNG.
    """

    def __init__(self, out_dir: str) -> None:
        self.path = Path(out_dir) / "latent_codes.png"
        self.plotted_count = 0
        self._codes: list[torch.Tensor] = []
        self._labels: list[torch.Tensor] = []

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        net = getattr(pl_module, "net", None)
        if not callable(getattr(net, "forward_features", None)):
            raise ConfigError(
                f"LatentScatter plots pl_module.net.forward_features(x), which "
                f"{type(pl_module).__name__} does not have. Use a net with forward_features "
                f"(e.g. nets.autoencoder.MLPAutoencoder) or remove the latent_scatter callback."
            )

    def on_test_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._codes, self._labels = [], []

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
        x, y = batch[0], batch[1]
        with torch.no_grad():
            self._codes.append(pl_module.net.forward_features(x).detach().float().cpu())
        self._labels.append(y.detach().cpu())

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._codes:
            return
        codes = torch.cat(self._codes).numpy()
        labels = torch.cat(self._labels).numpy()
        self._codes, self._labels = [], []
        labels = labels.reshape(len(labels), -1)
        coloured_by = "label" if labels.shape[1] == 1 else "first task's label"
        labels = labels[:, 0]
        dims = codes.shape[1]
        if dims == 1:
            points = np.stack([codes[:, 0], labels], axis=1)
            title, ylabel = "Test codes (1-d) against their label", "label"
        else:
            points = codes[:, :2]
            first_two = f" (first 2 of {dims} dimensions)" if dims > 2 else ""
            title, ylabel = f"Test codes{first_two}, coloured by {coloured_by}", "code[1]"
        names = getattr(trainer.datamodule, "class_names", None)
        save_scatter(
            self.path,
            points,
            labels,
            title=f"{title} ({len(codes)} samples)",
            xlabel="code[0]",
            ylabel=ylabel,
            label_names=names,
            legend_title=coloured_by,
        )
        self.plotted_count = len(points)
        log_image_files(trainer, "plots/latent_codes", [self.path])
