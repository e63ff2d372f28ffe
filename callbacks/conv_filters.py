"""Filters of the first and last conv layer, and their feature maps for one fixed image, as PNGs."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from torch import nn

from callbacks.wandb_media import log_image_files
from labkit.errors import ConfigError
from labkit.plots import save_image_grid

FILES = ("first_conv_filters", "first_conv_maps", "last_conv_filters", "last_conv_maps")


def first_and_last_conv(net: nn.Module) -> tuple[nn.Conv2d, nn.Conv2d] | None:
    """The first and the last ``Conv2d`` in the net's module order (ResNet-18: the stem's conv and
    the last block's second conv); ``None`` for a net without one."""
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    return (convs[0], convs[-1]) if convs else None


def filter_tiles(weight: torch.Tensor, count: int) -> tuple[list[torch.Tensor], list[str]]:
    """The first ``count`` filters of ``weight: (C_out, C_in, k, k)`` as images with captions.

    With 3 input channels a filter is shown as one RGB ``(3, k, k)`` tile; otherwise as the
    ``(k, k)`` slice of its strongest input channel (largest L2 norm), named in the caption.
    """
    tiles, captions = [], []
    for k, kernel in enumerate(weight[:count].detach().float().cpu()):
        if kernel.shape[0] == 3:
            tiles.append(kernel)
            captions.append(f"filter {k}")
        else:
            channel = int(kernel.flatten(1).norm(dim=1).argmax())
            tiles.append(kernel[channel])
            captions.append(f"filter {k}\ninput ch {channel}")
    return tiles, captions


class ConvFiltersAndMaps(pl.Callback):
    """At the end of fitting, draws what the first and last conv layers learnt.

    Writes, under ``out_dir``: ``first_conv_filters.png`` and ``last_conv_filters.png`` (the
    first ``num_filters`` filters of each layer), and ``first_conv_maps.png`` and
    ``last_conv_maps.png`` (the same filters' output maps, before BatchNorm, for image
    ``image_index`` of ``datamodule.splits[split]``, shown first), and logs them to W&B as
    ``plots/<name>``. The model runs in eval mode for the maps (BatchNorm's running statistics).
    The datamodule's ``splits[split]`` holds ``(x: (N, C, H, W), y: (N,))``.

    Args:
        out_dir: folder of the PNGs.
        num_filters: filters per layer to draw.
        image_index: which image of the split (a fixed one, so runs compare).
        split: the split the image comes from.
    """

    def __init__(
        self, out_dir: str, num_filters: int = 8, image_index: int = 0, split: str = "val"
    ) -> None:
        if not isinstance(num_filters, int) or num_filters <= 0:
            raise ConfigError(f"conv_filters num_filters must be positive, got {num_filters!r}.")
        self.out_dir, self.num_filters = Path(out_dir), num_filters
        self.image_index, self.split = image_index, split
        self.paths: dict[str, Path] = {}

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and first_and_last_conv(pl_module) is None:
            raise ConfigError(
                f"The conv_filters callback draws conv filters, but {type(pl_module.net).__name__} "
                "has no Conv2d layer. Remove the callback for this net."
            )

    @rank_zero_only
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        x, y = trainer.datamodule.splits[self.split]
        if not 0 <= self.image_index < len(x):
            raise ConfigError(
                f"conv_filters image_index={self.image_index} is outside the {len(x)} "
                f"{self.split} images."
            )
        image = x[self.image_index : self.image_index + 1].to(pl_module.device, torch.float32)
        label = int(y[self.image_index])
        names = getattr(trainer.datamodule, "class_names", ()) or ()
        name = names[label] if label < len(names) else str(label)
        layers = dict(zip(("first_conv", "last_conv"), first_and_last_conv(pl_module), strict=True))
        maps = self._feature_maps(pl_module, image, layers)
        for layer, conv in layers.items():
            count = min(self.num_filters, conv.out_channels)
            tiles, captions = filter_tiles(conv.weight, count)
            what = layer.replace("_", " ") + " layer"
            self._save(f"{layer}_filters", tiles, captions, f"{count} filters of the {what}")
            tiles = [image[0].cpu(), *maps[layer][0, :count].float().cpu()]
            captions = [f"input: {name}", *(f"filter {k}" for k in range(count))]
            title = f"Maps of those filters of the {what} for {self.split} image {self.image_index}"
            self._save(f"{layer}_maps", tiles, captions, title)
        for key, path in self.paths.items():
            log_image_files(trainer, f"plots/{key}", [path])

    def _feature_maps(
        self, pl_module: pl.LightningModule, image: torch.Tensor, layers: dict[str, nn.Conv2d]
    ) -> dict[str, torch.Tensor]:
        maps: dict[str, torch.Tensor] = {}
        hooks = [
            conv.register_forward_hook(lambda m, i, out, key=key: maps.__setitem__(key, out))
            for key, conv in layers.items()
        ]
        was_training = pl_module.training
        pl_module.eval()
        try:
            with torch.no_grad():
                pl_module(image)
        finally:
            pl_module.train(was_training)
            for hook in hooks:
                hook.remove()
        return maps

    def _save(self, key: str, tiles: list[torch.Tensor], captions: list[str], title: str) -> None:
        # Tiles of one figure differ in shape (the RGB input beside 1-channel maps): pad to RGB.
        images = [
            t.expand(3, *t.shape[-2:]) if t.dim() == 2 or t.shape[0] == 1 else t for t in tiles
        ]
        if t_sizes := {tuple(im.shape[-2:]) for im in images}:
            h, w = max(t_sizes)
            images = [_upscale(im, h, w) for im in images]
        self.paths[key] = save_image_grid(
            self.out_dir / f"{key}.png",
            torch.stack(images).numpy(),
            captions,
            title=title,
            ncols=min(len(images), 9),
        )


def _upscale(image: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """``image: (C, h0, w0)`` scaled to ``(C, h, w)`` by repeating pixels (no smoothing)."""
    if tuple(image.shape[-2:]) == (h, w):
        return image
    return nn.functional.interpolate(image[None], size=(h, w), mode="nearest")[0]
