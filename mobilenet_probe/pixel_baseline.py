"""Question (d)'s baseline: the images the net sees, as raw pixels for the same linear probe.

A block "distinguishes bouba from kiki" only in a sense that matters if a linear classifier reads
the kind better from it than from the input itself; the pixels of the 224×224 net input are that
input. They are shrunk before the probe (``pixels_size``, 56 by default), for reasons that leave
the baseline the same classifier on the same picture:

- the 100×100 drawings are upscaled to 224 for the net, so 224×224 holds no detail the 100×100
  image lacked; at 56×56 an outline still turns its corners over several pixels;
- a grey image is the same on the three channels the net gets: one copy is kept;
- with N = 200 images, any number of inputs above N lets the logistic regression separate the
  training images; 3136 (56²) instead of 150528 (3·224²) inputs change how long each of the
  folds' fits takes (a 48th of the data), not what kind of classifier it is.

``probe.pixels_size >= probe.input_size`` keeps every pixel (and all three channels of an RGB
image), for a check that the shrinking does not decide the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mobilenet_probe.layer_features import to_net_input

BASELINE_NAME = "pixels"  # its name among the blocks: probe/pixels/acc ...


def pixel_features(
    images: np.ndarray,
    *,
    size: int,
    pixels_size: int,
    mean: Sequence[float],
    std: Sequence[float],
    batch_size: int,
) -> np.ndarray:
    """``images: (N, H, W)`` grey or ``(N, H, W, 3)`` -> ``(N, channels · pixels_size²)`` float32.

    The net's input (``to_net_input``: resized to ``size``, normalised), shrunk to
    ``pixels_size`` square when that is smaller (bilinear with antialiasing: each pixel averages
    its area, as ``torchvision.transforms.Resize`` does) and flattened; one channel for grey
    images.
    """
    if pixels_size < 1:
        raise ValueError(f"pixels_size must be >= 1, got {pixels_size}")
    grey = np.asarray(images).ndim == 3
    rows = []
    for start in range(0, len(images), batch_size):
        x = to_net_input(images[start : start + batch_size], size, mean, std)
        x = x[:, :1] if grey else x
        if pixels_size < size:
            x = F.interpolate(x, size=(pixels_size, pixels_size), mode="bilinear", antialias=True)
        rows.append(x.contiguous().flatten(1))
    return torch.cat(rows).numpy()
