"""MNIST-family splits as normalised float32 arrays in memory, ready to be sliced into batches.

Pixels are scaled once, ``x = (raw / 255 - mean) / std``, with the scalar ``mean`` and ``std`` of
the training images (after the validation split is taken out, so nothing of val or test leaks
into the normalisation). Arrays stay float32: BLAS runs twice as fast as in float64 and the
accuracy is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datamodules.idx_files import load_split
from datamodules.train_val_split import train_val_indices
from labkit.errors import ConfigError


@dataclass(frozen=True)
class ClassificationArrays:
    """Flattened, normalised images and integer labels of one dataset.

    ``x_*: (N, H·W) float32``, ``y_*: (N,) int64``; ``x_val``/``y_val`` are empty when
    ``val_size = 0``. ``test_images: (N_test, H, W) uint8`` are the raw test images, kept for
    plotting predictions. ``pixel_mean``/``pixel_std`` are the statistics used (of ``raw / 255``).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_images: np.ndarray
    pixel_mean: float
    pixel_std: float

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def normalise_images(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``images: (N, H, W) uint8 -> (N, H·W) float32``, ``(images / 255 - mean) / std``."""
    flat = images.reshape(len(images), int(np.prod(images.shape[1:]))).astype(np.float32)
    flat *= np.float32(1 / (255 * std))  # one pass: raw/255/std, then subtract mean/std
    flat -= np.float32(mean / std)
    return flat


def load_classification_arrays(
    name: str,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    val_size: int,
    seed: int,
    download: bool = True,
    train_subset: int | None = None,
) -> ClassificationArrays:
    """Load ``name`` (``"MNIST"`` or ``"FashionMNIST"``), hold out ``val_size`` training images.

    The validation images are those the DataModules hold out (``train_val_indices``, the one
    split function), so a seed here and ``data.split_seed`` there give the same split. ``train_subset`` keeps only that many of the
    remaining training images (quick runs and tests).
    """
    train_images, train_labels = load_split(name, "train", data_dir, labkit_data, download)
    test_images, test_labels = load_split(name, "test", data_dir, labkit_data, download)
    if not 0 <= val_size < len(train_images):
        raise ConfigError(
            f"numpy_data.val_size must be in [0, {len(train_images)}) for {name}, got {val_size}. "
            f"Fix: e.g. numpy_data.val_size=5000, or 0 to train on every training image."
        )
    train_index, val_index = train_val_indices(len(train_images), val_size, seed)
    if train_subset is not None:
        train_index = train_index[:train_subset]
    train_pixels = train_images[train_index].astype(np.float32) / 255
    mean, std = float(train_pixels.mean()), float(train_pixels.std())
    return ClassificationArrays(
        x_train=normalise_images(train_images[train_index], mean, std),
        y_train=train_labels[train_index],
        x_val=normalise_images(train_images[val_index], mean, std),
        y_val=train_labels[val_index],
        x_test=normalise_images(test_images, mean, std),
        y_test=test_labels,
        test_images=test_images,
        pixel_mean=mean,
        pixel_std=std,
    )
