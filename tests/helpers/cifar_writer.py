"""Tiny CIFAR-10 copies in the real on-disk formats: torchvision's pickles and an image folder."""

from __future__ import annotations

import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from datamodules.cifar10_files import CIFAR10_CLASSES, PICKLE_FILES


def tiny_cifar(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x: (n, 32, 32, 3) uint8`` random images and ``y: (n,) int64`` labels covering every class."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    y = np.arange(n, dtype=np.int64) % len(CIFAR10_CLASSES)
    return x, y


def write_pickles(root: Path, split: str, x: np.ndarray, y: np.ndarray) -> Path:
    """``root/cifar-10-batches-py/<batch files of split>``, ``x`` dealt out over them in order."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = PICKLE_FILES[split]
    for name, xs, ys in zip(
        names, np.array_split(x, len(names)), np.array_split(y, len(names)), strict=True
    ):
        # The layout of the real files: channel-major rows, bytes keys, labels as a list.
        data = xs.transpose(0, 3, 1, 2).reshape(len(xs), 3072)
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": [int(v) for v in ys]}, f)
    return folder


def write_image_folder(root: Path, split: str, x: np.ndarray, y: np.ndarray) -> Path:
    """``root/cifar10/<split>/<class>/<index>.png``: names keep the original order within a class."""
    folder = root / "cifar10"
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        path = folder / split / CIFAR10_CLASSES[label] / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)
    return folder


def archive(folder: Path, kind: str) -> Path:
    """``folder`` packed as ``<folder>.zip`` or ``<folder>.tar.gz`` with ``folder``'s name on top."""
    if kind == "zip":
        target = folder.with_name(folder.name + ".zip")
        with zipfile.ZipFile(target, "w") as zf:
            for path in sorted(folder.rglob("*")):
                zf.write(path, path.relative_to(folder.parent).as_posix())
    else:
        target = folder.with_name(folder.name + ".tar.gz")
        with tarfile.open(target, "w:gz") as tf:
            tf.add(folder, arcname=folder.name)
    return target
