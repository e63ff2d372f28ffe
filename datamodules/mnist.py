"""MNIST-family DataModules: 28x28 grayscale IDX datasets held in memory as normalised tensors."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from datamodules.batch_groups import BatchGroups
from datamodules.idx_files import load_split, locate_split
from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.background import start_in_background
from labkit.errors import ConfigError, DataError


class MNISTDataModule(pl.LightningDataModule):
    """MNIST as in-memory tensors; batches ``x: (B, 1, 28, 28) float32``, ``y: (B,) int64``.

    Pixels are scaled to [0, 1] and standardised with ``mean``/``std`` once, at setup. The training
    split is cut into train/val by a permutation drawn from ``split_seed``, the same on every run.

    Args:
        data_dir: writable cache; torchvision downloads land here.
        labkit_data: optional read-only folder with ``<dataset>/raw/`` (see ARCHITECTURE.md).
        batch_size: training batch size *per device* (DDP multiplies it by the world size).
        eval_batch_size: batch size for validation and test (no gradients, so larger is cheaper).
        val_size: images held out of the 60000 training images for validation.
        steps_per_execution: training batches per Lightning step; above 1 the training loader
            hands out lists of that many batches (``BatchGroups``), for a module with the same
            ``steps_per_execution``.
    """

    dataset_name = "MNIST"
    class_names: tuple[str, ...] = tuple(str(i) for i in range(10))

    def __init__(
        self,
        data_dir: str,
        labkit_data: str | None,
        batch_size: int,
        eval_batch_size: int,
        val_size: int,
        split_seed: int,
        shuffle_seed: int,
        mean: float,
        std: float,
        download: bool = True,
        steps_per_execution: int = 1,
    ) -> None:
        super().__init__()
        for name, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"data.{name} must be a positive integer, got {value!r}.")
        if std <= 0:
            raise ConfigError(f"data.std must be > 0, got {std}.")
        self.save_hyperparameters(logger=False)
        self.data_dir, self.labkit_data = Path(data_dir), labkit_data
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.val_size, self.split_seed, self.shuffle_seed = val_size, split_seed, shuffle_seed
        self.mean, self.std, self.download = mean, std, download
        self.steps_per_execution = steps_per_execution
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._loading: Future | None = None  # a background load begun by start_loading()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def prepare_data(self) -> None:
        # Runs on one process per node: only here may files be downloaded into data_dir.
        for split in ("train", "test"):
            locate_split(self.dataset_name, split, self.data_dir, self.labkit_data, self.download)

    def _tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = load_split(
            self.dataset_name, split, self.data_dir, self.labkit_data, download=False
        )
        x = torch.from_numpy(images.astype(np.float32)).unsqueeze(1)
        x = (x / 255.0 - self.mean) / self.std
        return x, torch.from_numpy(labels)

    def start_loading(self) -> None:
        """Begin reading the dataset in a background thread; ``setup()`` then waits for it.

        The ~1 s of decompressing, checking and converting mostly runs outside the GIL, so it
        overlaps with building the model, trainer and loggers. Only when the files are already
        on disk: a download is ``prepare_data``'s, on one process per node.
        """
        if self.splits or self._loading is not None:
            return
        try:
            for split in ("train", "test"):
                locate_split(self.dataset_name, split, self.data_dir, self.labkit_data, False)
        except DataError:
            return
        self._loading = start_in_background(self._load_splits, name="labkit-data")

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        loading, self._loading = self._loading, None
        # result() re-raises whatever the background load raised (bad files, bad val_size).
        self.splits = loading.result() if loading is not None else self._load_splits()

    def _load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        x, y = self._tensors("train")
        if not 0 < self.val_size < len(x):
            raise ConfigError(
                f"data.val_size must be between 1 and {len(x) - 1} for {self.dataset_name}, "
                f"got {self.val_size}."
            )
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(self.split_seed))
        val_idx, train_idx = (
            order[: self.val_size].sort().values,
            order[self.val_size :].sort().values,
        )
        return {
            "train": (x[train_idx], y[train_idx]),
            "val": (x[val_idx], y[val_idx]),
            "test": self._tensors("test"),
        }

    def _loader(self, split: str, batch_size: int, shuffle: bool) -> TensorBatchLoader:
        x, y = self.splits[split]
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer else (0, 1)
        sampler = ShardedBatchSampler(
            len(x), batch_size, shuffle=shuffle, seed=self.shuffle_seed, rank=rank, world_size=world
        )
        return TensorBatchLoader(x, y, sampler)

    def train_dataloader(self) -> TensorBatchLoader | BatchGroups:
        loader = self._loader("train", self.batch_size, shuffle=True)
        return (
            loader
            if self.steps_per_execution == 1
            else BatchGroups(loader, self.steps_per_execution)
        )

    def val_dataloader(self) -> TensorBatchLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> TensorBatchLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)


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
