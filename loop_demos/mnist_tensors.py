"""A seeded subset of MNIST as torch tensors, read through ``datamodules.idx_files``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from datamodules.idx_files import load_split
from labkit.errors import ConfigError


@dataclass(frozen=True)
class MnistTensors:
    """``train_x: (N, 1, 28, 28) float32`` in [0, 1], ``train_y: (N,) int64``; test likewise."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_mnist_tensors(
    dataset: str,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    download: bool,
    train_size: int,
    test_size: int,
    seed: int,
) -> MnistTensors:
    """``train_size`` training and ``test_size`` test images, each a seeded choice of its split."""
    rng = np.random.default_rng(seed)
    tensors = []
    for split, size in (("train", train_size), ("test", test_size)):
        images, labels = load_split(dataset, split, data_dir, labkit_data, download)
        if not 0 < size <= len(images):
            raise ConfigError(
                f"mnist.{split}_size must be in [1, {len(images)}], got {size}. "
                f"Fix it in the config or override it, e.g. mnist.{split}_size={min(1000, len(images))}"
            )
        chosen = np.sort(rng.choice(len(images), size, replace=False))
        x = torch.from_numpy(images[chosen].astype(np.float32) / 255).unsqueeze(1)
        tensors += [x, torch.from_numpy(labels[chosen])]
    return MnistTensors(*tensors)
