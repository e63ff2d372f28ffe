"""Filters of the first and last conv layer, and the net's first and last feature maps for one
fixed image, as PNGs and as measured properties (conv_properties.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from torch import nn

from callbacks.conv_properties import filter_properties, map_properties
from callbacks.wandb_media import log_image_files
from figures.image_grids import save_image_grid
from labkit.atomic_files import write_text
from labkit.errors import ConfigError

FILES = ("first_conv_filters", "first_conv_maps", "last_conv_filters", "last_conv_maps")
PROPERTIES_FILE = "conv_properties.json"
LAYERS = ("first_conv", "last_conv")


def first_and_last_conv(net: nn.Module) -> tuple[nn.Conv2d, nn.Conv2d] | None:
    """The first and the last ``Conv2d`` in the net's module order (ResNet-18: the stem's conv and
    the last block's second conv); ``None`` for a net without one."""
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    return (convs[0], convs[-1]) if convs else None


def first_and_last_maps(net: nn.Module, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{"first_conv": map, "last_conv": map}``, the first and the last of
    ``net.forward_intermediates(image)`` (each ``(1, C, h, w)``), with the net in eval mode."""
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            maps = net.forward_intermediates(image, indices=[0, -1], intermediates_only=True)
    finally:
        net.train(was_training)
    return dict(zip(LAYERS, (maps[0], maps[-1]), strict=True))


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
    ``last_conv_maps.png`` (the first ``num_filters`` channels of the net's first and last
    ``forward_intermediates`` map, for image ``image_index`` of ``datamodule.splits[split]``,
    shown first), and logs them to W&B as ``plots/<name>``. Beside them ``conv_properties.json``
    holds what the figures show as numbers, ``{"first_conv": {"filters": ..., "maps": ...},
    "last_conv": {...}, "image": {...}}`` (``callbacks.conv_properties.filter_properties`` and
    ``map_properties``; the drawn filters and channels are the figures' ones). In this project's
    nets channel ``k`` of the first map is filter ``k`` of the first conv, and channel ``k`` of
    the last map filter ``k`` of the last conv, each after the layers of its block or stage
    (BatchNorm, activation, pooling; ResNet's shortcut). The net runs in eval mode for the maps
    (BatchNorm's running statistics). The datamodule's ``splits[split]`` holds
    ``(x: (N, C, H, W), y: (N,))``.

    Args:
        out_dir: folder of the PNGs and the JSON.
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
        if stage != "fit":
            return
        net = pl_module.net
        if first_and_last_conv(net) is None:
            raise ConfigError(
                f"The conv_filters callback draws conv filters, but {type(net).__name__} "
                "has no Conv2d layer. Remove the callback for this net."
            )
        if not callable(getattr(net, "forward_intermediates", None)):
            raise ConfigError(
                f"The conv_filters callback draws the maps of net.forward_intermediates(x), which "
                f"{type(net).__name__} does not have. Give the net forward_intermediates (as "
                "nets.resnet.ResNet18 has) or remove the callback for this net."
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
        layers = dict(zip(LAYERS, first_and_last_conv(pl_module.net), strict=True))
        maps = first_and_last_maps(pl_module.net, image)
        properties: dict = {}
        for layer, conv in layers.items():
            count = min(self.num_filters, conv.out_channels, maps[layer].shape[1])
            properties[layer] = {
                "filters": filter_properties(conv.weight, count),
                "maps": map_properties(maps[layer], count, tuple(image.shape[-2:])),
            }
            tiles, captions = filter_tiles(conv.weight, count)
            what = layer.replace("_", " ") + " layer"
            self._save(f"{layer}_filters", tiles, captions, f"{count} filters of the {what}")
            tiles = [image[0].cpu(), *maps[layer][0, :count].float().cpu()]
            captions = [f"input: {name}", *(f"filter {k}" for k in range(count))]
            title = (
                f"Maps of those filters of the {what} (its block's output) for {self.split} "
                f"image {self.image_index}"
            )
            self._save(f"{layer}_maps", tiles, captions, title)
        properties["image"] = {
            "split": self.split,
            "index": self.image_index,
            "class_index": label,
            "class_name": name,
            "height": image.shape[-2],
            "width": image.shape[-1],
        }
        # allow_nan=False: an undefined property is already None, so the file stays strict JSON.
        text = json.dumps(properties, indent=2, allow_nan=False)
        write_text(self.out_dir / PROPERTIES_FILE, text + "\n")
        for key, path in self.paths.items():
            log_image_files(trainer, f"plots/{key}", [path])

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
