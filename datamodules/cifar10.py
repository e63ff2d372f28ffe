"""CIFAR-10 held in memory, augmented on the device with random crops and flips."""

from __future__ import annotations

import numpy as np
import torch

from datamodules import cifar10_files
from datamodules.image_augment import random_crop, random_hflip
from datamodules.in_memory import InMemoryDataModule
from labkit.errors import ConfigError


class CIFAR10DataModule(InMemoryDataModule):
    """CIFAR-10; batches ``x: (B, 3, 32, 32) float32``, ``y: (B,) int64``.

    Files: torchvision's ``cifar-10-batches-py/`` or an image-folder export ``cifar10/`` (folder,
    ``.zip`` or ``.tar.gz``) in ``data_dir`` or ``LABKIT_DATA``, downloaded when missing
    (``datamodules/cifar10_files.py``); decoded once into ``data_dir/cifar10_uint8/``.
    Training batches are augmented on their device: a random crop after zero-padding (in
    normalised units: the mean colour) by ``crop_padding`` pixels, and a horizontal flip with
    probability 1/2 when ``flip``. The seeded train/val split (45000/5000 with ``val_size=5000``)
    and per-channel standardisation are the base's. Other arguments as
    :class:`~datamodules.in_memory.InMemoryDataModule`'s.

    Args:
        crop_padding: pixels of padding before the random 32x32 crop; 0 turns cropping off.
        flip: whether to flip training images horizontally at random.
        progress: show a progress bar while decoding an image folder.
    """

    dataset_name = "CIFAR-10"
    class_names = cifar10_files.CIFAR10_CLASSES

    def __init__(
        self,
        *args,
        crop_padding: int = 4,
        flip: bool = True,
        progress: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(crop_padding, int) or isinstance(crop_padding, bool) or crop_padding < 0:
            raise ConfigError(f"data.crop_padding must be an integer >= 0, got {crop_padding!r}.")
        self.crop_padding, self.flip, self.progress = crop_padding, flip, progress

    def locate_files(self, download: bool) -> None:
        cifar10_files.locate_cifar10(
            data_dir=self.data_dir, labkit_data=self.labkit_data, download=download
        )

    def prepare_cache(self) -> None:
        for split in ("train", "test"):
            self._read(split, download=False)  # decodes an image folder into the cache once

    def load_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._read(split, download=False)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y  # (N, H, W, C) -> (N, C, H, W)

    def augment_batch(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = random_crop(x, self.crop_padding)
        return (random_hflip(x) if self.flip else x), y

    def _read(self, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
        return cifar10_files.load_cifar10_split(
            split,
            data_dir=self.data_dir,
            labkit_data=self.labkit_data,
            download=download,
            progress=self.progress,
        )
