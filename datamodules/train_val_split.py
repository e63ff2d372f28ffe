"""The one train/validation split, shared by the DataModules and the NumPy experiments (torch-free)."""

from __future__ import annotations

import numpy as np


def train_val_indices(n: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, val)`` indices into ``n`` training images, each sorted, ``val_size`` held out.

    The held-out images are the first ``val_size`` of ``np.random.default_rng(seed).permutation(n)``:
    the same split on every run and on both sides (torch and NumPy) for one ``seed``, whatever
    else the run seeds. Sorting keeps the images in file order within each part.
    """
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[val_size:]), np.sort(order[:val_size])
