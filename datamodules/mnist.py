"""MNIST-family DataModules: 28x28 grayscale IDX datasets, held in memory by the base."""

from __future__ import annotations

import numpy as np

from datamodules import idx_files
from datamodules.in_memory import LOADED_SPLITS, InMemoryDataModule


class MNISTDataModule(InMemoryDataModule):
    """MNIST; batches ``x: (B, 1, 28, 28) float32``, ``y: (B,) int64``.

    Files: ``<data_dir or LABKIT_DATA>/MNIST/raw/*-ubyte[.gz]``, downloaded through torchvision
    when missing. Arguments as :class:`InMemoryDataModule`'s.
    """

    dataset_name = "MNIST"
    class_names: tuple[str, ...] = tuple(str(i) for i in range(10))

    def locate_files(self, download: bool) -> None:
        for split in LOADED_SPLITS:
            idx_files.locate_split(
                self.dataset_name, split, self.data_dir, self.labkit_data, download
            )

    def load_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return idx_files.load_split(
            self.dataset_name, split, self.data_dir, self.labkit_data, download=False
        )


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST, same layout and shapes as MNIST."""

    dataset_name = "FashionMNIST"
    class_names = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
