"""Pooled features of every MobileNetV3 block from one forward pass per batch.

``features.0`` ... ``features.12`` are the blocks of ``nets.mobilenet_v3_small.MobileNetV3Small``;
its ``forward_intermediates`` gives each block's output ``(B, C, h, w)``, averaged here over space
to ``(B, C)``. The pass stops after the deepest block asked for, and the classifier head never runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from labkit.errors import ConfigError
from mobilenet_probe.probe_config import BLOCKS as LAYERS
from nets.mobilenet_v3_small import MobileNetV3Small


def layer_index(name: str) -> int:
    """``"features.7"`` -> 7; ConfigError for a name that is not one of ``LAYERS``."""
    if name not in LAYERS:
        raise ConfigError(
            f"Unknown MobileNetV3-small block {name!r}: expected one of features.0 ... features.12."
        )
    return LAYERS.index(name)


def to_net_input(
    images: np.ndarray, size: int, mean: Sequence[float], std: Sequence[float]
) -> torch.Tensor:
    """``images: (N, H, W)`` grey or ``(N, H, W, 3)`` RGB uint8 -> ``(N, 3, size, size)`` float.

    Scaled to [0, 1], resized (bilinear, as ``torchvision.transforms.Resize``) and normalised per
    channel, as the ImageNet weights expect; a grey image is repeated on the three channels. The
    result is channels-last in memory, the order in which MobileNet's depthwise convolutions run
    fastest on a CPU.
    """
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32) / 255.0
    x = x.unsqueeze(1).expand(-1, 3, -1, -1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    # Antialiasing only changes a downscale; upscaling (100 or 32 -> 224) skips its slower path.
    shrink = size < min(x.shape[-2:])
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean_t) / std_t).contiguous(memory_format=torch.channels_last)


def pooled_layer_features(
    net: MobileNetV3Small,
    images: np.ndarray,
    layers: Sequence[str],
    *,
    size: int,
    mean: Sequence[float],
    std: Sequence[float],
    batch_size: int,
    advance: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """``{layer: (N, C_layer) float32}``: each block's output averaged over space, one pass per batch.

    ``net`` runs in channels-last memory order from here on; ``advance(n)`` is called after each
    batch of ``n`` images (a progress bar).
    """
    indices = sorted({layer_index(name) for name in layers})
    net = net.to(memory_format=torch.channels_last)
    device = next(net.parameters()).device
    pooled: dict[int, list[torch.Tensor]] = {i: [] for i in indices}
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            maps = net.forward_intermediates(
                to_net_input(batch, size, mean, std).to(device),
                indices,
                stop_early=True,
                intermediates_only=True,
            )
            for i, block_maps in zip(indices, maps, strict=True):
                pooled[i].append(block_maps.mean(dim=(2, 3)))
            if advance is not None:
                advance(len(batch))
    return {LAYERS[i]: torch.cat(pooled[i]).cpu().numpy() for i in indices}
