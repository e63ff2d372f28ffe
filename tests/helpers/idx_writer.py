"""Write tiny datasets in the real IDX format, so tests load them through the production code path."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from datamodules.idx_files import SPLIT_FILES


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """IDX: two zero bytes, dtype code 0x08 (uint8), ndim, big-endian dims, then the raw bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as f:
            f.write(header + array.tobytes())
    else:
        path.write_bytes(header + array.tobytes())
    return path


def learnable_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images whose class is a bright 7x7 block at one of 10 places, plus noise.

    A small MLP learns these in a few steps, so tests can check that training really improves.
    """
    labels = rng.integers(0, 10, size=n)
    images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    rows, cols = (labels // 5) * 14, (labels % 5) * 5
    for dr in range(7):
        for dc in range(5):
            images[np.arange(n), rows + dr, cols + dc] = 255
    return images, labels.astype(np.uint8)


def write_tiny_dataset(
    root: Path,
    name: str = "MNIST",
    n_train: int = 600,
    n_test: int = 200,
    seed: int = 0,
    compress: bool = False,
) -> Path:
    """``root/<name>/raw/`` with train and test IDX files; returns ``root``."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = learnable_digits(n, rng)
        image_stem, label_stem = SPLIT_FILES[split]
        write_idx(root / name / "raw" / image_stem, images, compress)
        write_idx(root / name / "raw" / label_stem, labels, compress)
    return root
