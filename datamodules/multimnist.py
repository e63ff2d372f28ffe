"""MultiMNIST (seed 004 §3): two MNIST digits per 36x36 image, one label per digit."""

from __future__ import annotations

import numpy as np

from datamodules import multimnist_samples
from datamodules.mnist import MNISTDataModule


class MultiMNISTDataModule(MNISTDataModule):
    """Batches ``x: (B, 1, 36, 36) float32``, ``y: (B, 2) int64`` (top-left digit, bottom-right).

    Training images are built from MNIST's training split only, test images from its test split
    (``datamodules/multimnist_samples.py``: vectorised, deterministic from
    ``generation_seed``, cached as ``.npz`` in ``data_dir``); the validation images are cut out
    of the generated training images by the base, as for MNIST. ``mean``/``std`` null computes
    them from the generated training split. Other arguments as :class:`MNISTDataModule`'s.

    Args:
        generation_seed: seed of the digit pairs (the same for every run by default, so runs
            with different training seeds share one dataset and one cache).
        train_samples, test_samples: images generated per split (seed 004: 60000 and 10000).
    """

    def __init__(
        self,
        *args,
        generation_seed: int = 0,
        train_samples: int = 60000,
        test_samples: int = 10000,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.generation_seed = generation_seed
        self.samples = {"train": train_samples, "test": test_samples}

    def load_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        images, labels = super().load_split(split)  # MNIST's own split of the same name
        return multimnist_samples.load_or_build(
            self.data_dir, split, images, labels, self.samples[split], self.generation_seed
        )
