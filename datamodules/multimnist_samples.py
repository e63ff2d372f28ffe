"""MultiMNIST samples (seed 004 section 3) from MNIST arrays, with NumPy alone, cached as ``.npz``.

A sample is a 36x36 image holding one MNIST digit in the top-left corner and another in the
bottom-right one (offset by 8 pixels on both axes), the brighter pixel winning where they overlap;
its labels are ``(top-left digit, bottom-right digit)``. The training samples are drawn from MNIST
train only and the test samples from MNIST test only (the caller passes the matching source).

The cache (one file per split) stores a fingerprint of what made it: format version, seed, number
of samples and a SHA-256 of the source arrays. A cache whose fingerprint differs from the one asked
for (another seed, other source files, an older format) or that cannot be read is rebuilt, and the
reason logged; it is written beside its final name and renamed (``datamodules/array_cache.py``), so
no half-written cache remains, and a folder that cannot take it ends in one WriteError.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from datamodules.array_cache import read_array_cache, write_array_cache

log = logging.getLogger(__name__)

DIGIT_SIZE = 28
OFFSET = 8  # the bottom-right digit starts 8 pixels right and down
SAMPLE_SIZE = DIGIT_SIZE + OFFSET  # 36
# Bump when the samples a (seed, source) gives change, so old caches are rebuilt.
FORMAT_VERSION = 1
SPLIT_SIZES = {"train": 60000, "test": 10000}  # the seed's sizes; from MNIST train and test


def _describe(a: object) -> str:
    """What an argument was, for error messages: its shape and dtype, or its type."""
    if isinstance(a, np.ndarray):
        return f"shape {a.shape}, dtype {a.dtype}"
    return type(a).__name__


def _check_digit(name: str, x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray) or x.shape != (DIGIT_SIZE, DIGIT_SIZE) or x.dtype != np.uint8:
        raise ValueError(
            f"make_new_sample: {name} must be a ({DIGIT_SIZE}, {DIGIT_SIZE}) uint8 array (an MNIST "
            f"image as read from its IDX file), got {_describe(x)}."
        )


def make_new_sample(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """One ``(36, 36) uint8`` MultiMNIST image: ``x1`` top-left, ``x2`` bottom-right, max on overlap.

    Args:
        x1, x2: MNIST images ``(28, 28) uint8``.
    """
    _check_digit("x1", x1)
    _check_digit("x2", x2)
    sample = np.zeros((SAMPLE_SIZE, SAMPLE_SIZE), dtype=np.uint8)
    sample[:DIGIT_SIZE, :DIGIT_SIZE] = x1
    np.maximum(sample[OFFSET:, OFFSET:], x2, out=sample[OFFSET:, OFFSET:])
    return sample


def draw_pairs(n_source: int, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(first, second)``, each ``(n_samples,) int64``, of the source images to pair.

    ``first`` is uniform over the source; ``second`` is uniform over the *other* images (an image is
    never paired with itself; two images of the same digit may be), independently per sample.
    """
    if n_source < 2:
        raise ValueError(f"MultiMNIST needs at least 2 source images to pair, got {n_source}.")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, n_source, size=n_samples)
    # A non-zero shift modulo n is uniform over the n - 1 other indices.
    second = (first + rng.integers(1, n_source, size=n_samples)) % n_source
    return first, second


def generate(
    images: np.ndarray, labels: np.ndarray, n_samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` MultiMNIST samples from the source images, deterministic in ``seed``.

    Pairs come from :func:`draw_pairs`; every sample equals ``make_new_sample(images[i],
    images[j])``, built for all samples at once (no Python loop over samples).

    Args:
        images: source digits ``(N, 28, 28) uint8``.
        labels: their labels ``(N,)``, integers.
        n_samples: number of samples to make.
        seed: seed of the pair draw.

    Returns:
        ``x: (n_samples, 36, 36) uint8`` and ``y: (n_samples, 2) int64`` (top-left, bottom-right).
    """
    check_source(images, labels)
    if not isinstance(n_samples, int) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
    first, second = draw_pairs(len(images), n_samples, seed)
    x = np.empty((n_samples, SAMPLE_SIZE, SAMPLE_SIZE), dtype=np.uint8)
    # Zero only where no digit lands, then write each digit once: the top-left one is copied, the
    # bottom-right one maxed in over its whole square (a plain copy where the top-left is zero).
    x[:, DIGIT_SIZE:, :] = 0
    x[:, :DIGIT_SIZE, DIGIT_SIZE:] = 0
    x[:, :DIGIT_SIZE, :DIGIT_SIZE] = images[first]  # (np.take into this strided view is slower)
    np.maximum(x[:, OFFSET:, OFFSET:], images[second], out=x[:, OFFSET:, OFFSET:])
    y = np.stack([labels[first], labels[second]], axis=1).astype(np.int64)
    return x, y


def check_source(images: np.ndarray, labels: np.ndarray) -> None:
    """ValueError unless ``images: (N, 28, 28) uint8`` and ``labels: (N,)`` integers pair up."""
    if (
        not isinstance(images, np.ndarray)
        or images.ndim != 3
        or images.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE)
        or images.dtype != np.uint8
    ):
        raise ValueError(
            f"MultiMNIST source images must be (N, {DIGIT_SIZE}, {DIGIT_SIZE}) uint8 (as "
            f"datamodules.idx_files.load_split returns them), got {_describe(images)}."
        )
    if (
        not isinstance(labels, np.ndarray)
        or labels.shape != (len(images),)
        or not np.issubdtype(labels.dtype, np.integer)
    ):
        raise ValueError(
            f"MultiMNIST source labels must be ({len(images)},) integers, one per image, got "
            f"{_describe(labels)}."
        )


def source_digest(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 over the source arrays' shapes, dtypes and bytes: names the source of a cache."""
    digest = hashlib.sha256()
    for array in (images, labels):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def fingerprint(
    split: str, images: np.ndarray, labels: np.ndarray, n_samples: int, seed: int
) -> dict:
    """What a cache of ``split`` must have been built from to be reused."""
    return {
        "format_version": FORMAT_VERSION,
        "split": split,
        "seed": int(seed),
        "n_samples": int(n_samples),
        "source_sha256": source_digest(images, labels),
    }


def cache_path(cache_dir: str | Path, split: str) -> Path:
    return Path(cache_dir) / "MultiMNIST" / f"{split}.npz"


def _read_cache(path: Path, expected: dict) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    """``((x, y), "")`` when the cache at ``path`` matches ``expected``, else ``(None, why)``."""
    cached, why = read_array_cache(path, expected)
    if cached is None:
        return None, why
    x, y = cached
    n = expected["n_samples"]
    if x.shape != (n, SAMPLE_SIZE, SAMPLE_SIZE) or x.dtype != np.uint8 or y.shape != (n, 2):
        return None, f"its arrays have the wrong shape (x {x.shape} {x.dtype}, y {y.shape})"
    return (x, y.astype(np.int64, copy=False)), ""


def load_or_build(
    cache_dir: str | Path,
    split: str,
    source_images: np.ndarray,
    source_labels: np.ndarray,
    n_samples: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """MultiMNIST ``split`` from the cache under ``cache_dir``, built (and cached) when it is stale.

    Args:
        cache_dir: writable folder; the cache is ``<cache_dir>/MultiMNIST/<split>.npz``.
        split: ``"train"`` or ``"test"``; pass MNIST's own split of the same name as the source.
        source_images, source_labels: the MNIST split, ``(N, 28, 28) uint8`` and ``(N,)``.
        n_samples: number of samples; the seed's size for the split (60000 / 10000) when ``None``.
        seed: seed of the pair draw.

    Returns:
        ``x: (n_samples, 36, 36) uint8`` and ``y: (n_samples, 2) int64``.
    """
    if split not in SPLIT_SIZES:
        raise ValueError(
            f"Unknown MultiMNIST split {split!r}; expected one of {tuple(SPLIT_SIZES)}."
        )
    check_source(source_images, source_labels)
    n_samples = SPLIT_SIZES[split] if n_samples is None else n_samples
    expected = fingerprint(split, source_images, source_labels, n_samples, seed)
    path = cache_path(cache_dir, split)
    cached, why = _read_cache(path, expected)
    if cached is not None:
        return cached
    # A cache that exists but is not reused is worth a warning: it costs a rebuild on every run
    # whose seed or source alternates with another's.
    report = log.warning if path.exists() else log.info
    report(
        "Building MultiMNIST %s (%d samples, seed %d) at %s: %s.", split, n_samples, seed, path, why
    )
    x, y = generate(source_images, source_labels, n_samples, seed)
    write_array_cache(path, x, y, expected)
    return x, y
