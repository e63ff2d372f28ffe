"""Question (c): CIFAR-10 test images of two classes scored on the bouba<->kiki axis.

The images come through the CIFAR-10 data code (``datamodules.cifar10_files``: ``data_dir`` ->
``LABKIT_DATA`` -> download, decoded once into a cache); a seeded choice of ``per_class`` images of
each class keeps the probe's forward passes short.

The choice must not depend on the order the split arrives in: torchvision's pickles and an
image-folder export hold the same test images in different orders, and the image-folder order
itself changed once (``cifar10_files.FORMAT_VERSION`` 2). A seeded choice of positions picked other
images from each, and (c)'s figures moved with it under the same seed. So each class's images are first put in an order of their own content
(the SHA-256 of their pixels), and the seeded choice is made in that order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labkit.errors import ConfigError


@dataclass(frozen=True)
class ClassScores:
    """Scores on the axis of one class's images: > 0 is the kiki side."""

    name: str
    count: int
    mean: float
    std: float
    sem: float  # standard error of the mean
    kiki_fraction: float


def load_cifar_classes(
    classes: Sequence[str],
    per_class: int,
    *,
    seed: int,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    download: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """``(images (M, 32, 32, 3) uint8, labels (M,) int64 indexing classes)`` from the test split.

    ``per_class`` test images of each class, a seeded choice; 0 or more than a class holds means
    all of it. Within a class the images come in ``content_order``, whatever order the source
    files hold them in, so a seed picks the same images from every source.
    """
    # Imported here: the CIFAR-10 reader is needed only for this question.
    from datamodules.cifar10_files import CIFAR10_CLASSES, load_cifar10_split

    unknown = [c for c in classes if c not in CIFAR10_CLASSES]
    if unknown:
        raise ConfigError(
            f"cifar.classes has {unknown}, expected names from {list(CIFAR10_CLASSES)}, "
            "e.g. cifar.classes=[frog,airplane]."
        )
    x, y = load_cifar10_split(
        "test", data_dir=data_dir, labkit_data=labkit_data, download=download, progress=True
    )
    rng = np.random.default_rng(seed)
    chosen, labels = [], []
    for k, name in enumerate(classes):
        members = np.flatnonzero(y == CIFAR10_CLASSES.index(name))
        members = members[content_order(x[members])]
        if 0 < per_class < len(members):
            members = members[np.sort(rng.choice(len(members), per_class, replace=False))]
        chosen.append(members)
        labels.append(np.full(len(members), k, dtype=np.int64))
    return x[np.concatenate(chosen)], np.concatenate(labels)


def content_order(images: np.ndarray) -> np.ndarray:
    """``images: (M, ...)`` -> ``(M,)`` indices sorting them by the SHA-256 of their pixels.

    Depends only on which images there are, not on their order: any permutation of ``images``
    gives the same images in the same order. Identical images tie, and either order is the same.
    """
    digests = [hashlib.sha256(np.ascontiguousarray(image).tobytes()).digest() for image in images]
    return np.array(sorted(range(len(images)), key=digests.__getitem__), dtype=np.int64)


def summarise_scores(
    scores: np.ndarray, labels: np.ndarray, classes: Sequence[str]
) -> list[ClassScores]:
    """Mean, spread and share on the kiki side of ``scores: (M,)`` for each class of ``labels``."""
    summaries = []
    for k, name in enumerate(classes):
        s = np.asarray(scores)[np.asarray(labels) == k]
        summaries.append(
            ClassScores(
                name=name,
                count=len(s),
                mean=float(s.mean()),
                std=float(s.std(ddof=1)) if len(s) > 1 else 0.0,
                sem=float(s.std(ddof=1) / np.sqrt(len(s))) if len(s) > 1 else 0.0,
                kiki_fraction=float(np.mean(s > 0)),
            )
        )
    return summaries


def prob_higher(scores: np.ndarray, labels: np.ndarray, first: int, second: int) -> float:
    """P(a random image of class ``first`` scores above one of ``second``), ties counting half.

    The area under the ROC curve of the score for telling ``first`` from ``second``; 0.5 when
    the axis does not order them.
    """
    a = np.asarray(scores)[np.asarray(labels) == first]
    b = np.asarray(scores)[np.asarray(labels) == second]
    greater = (a[:, None] > b[None, :]).mean()
    ties = (a[:, None] == b[None, :]).mean()
    return float(greater + 0.5 * ties)
