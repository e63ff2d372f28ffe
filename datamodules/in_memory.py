"""The base of every dataset held in memory: a subclass loads ``(x, y)`` per split, the base the rest."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from datamodules.background_load import start_in_background
from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from datamodules.train_val_split import train_val_indices
from labkit.errors import ConfigError, DataError

Array = np.ndarray | torch.Tensor
Batch = tuple[torch.Tensor, torch.Tensor]
# The splits a subclass loads; "val" is cut out of "train" by the base.
LOADED_SPLITS = ("train", "test")


class InMemoryDataModule(pl.LightningDataModule):
    """A dataset held in memory as normalised tensors, served in sharded, resumable batches.

    A subclass says how to get its arrays and nothing more:

    - ``load_split(split) -> (x, y)`` for ``split`` in ``("train", "test")``: ``x: (N, H, W)`` or
      ``(N, C, H, W)``, uint8 (scaled by 1/255) or float (taken as is); ``y: (N,)`` or ``(N, T)``
      integers (``T`` labels per image, e.g. MultiMNIST's digits);
    - ``locate_files(download)``: find the files ``load_split`` reads, downloading them when
      ``download`` and missing, or raise one :class:`DataError` naming what was looked for;
    - optionally ``prepare_cache()``: write what ``load_split`` would otherwise build on every
      process (a decoded or generated array), once per node after the files are found;
    - ``class_names`` (and ``dataset_name`` for messages) as class attributes;
    - optionally ``augment_batch(x, y) -> (x, y)``, run on whole training batches once they are on
      the device (so augmentation runs on the GPU), never on validation or test batches.

    The base cuts ``val_size`` images out of the training split with ``train_val_indices``
    (``split_seed``: the same on every run, whatever the run's seed, and the NumPy experiments'
    split), then standardises every split
    per channel, ``x = (x - mean[c]) / std[c]``, with ``mean``/``std`` from the config or, when
    those are null, computed once from the training split (after the validation images are out).

    Batches: ``x: (B, C, H, W) float32``, ``y: (B,)`` or ``(B, T)`` int64. After ``setup()``:
    ``splits[s] = (x, y)`` for ``s`` in ``("train", "val", "test")`` and ``pixel_mean`` /
    ``pixel_std`` (one float per channel) hold what was used.

    Args:
        data_dir: writable cache; downloads and generated files land here.
        labkit_data: optional read-only folder with datasets (see ARCHITECTURE.md).
        batch_size: training batch size *per device* (DDP multiplies it by the world size).
        eval_batch_size: batch size for validation and test (no gradients, so larger is cheaper).
        val_size: images held out of the training split for validation.
        split_seed: seed of the train/val permutation.
        shuffle_seed: seed of the per-epoch shuffle (``shuffle_seed + epoch``).
        mean: per-channel mean of the pixels in [0, 1]: one float for every channel, a list of
            one per channel, or null to compute it from the training split.
        std: per-channel standard deviation, the same way (null together with ``mean``).
        download: whether ``prepare_data`` may download missing files.
        on_device: hold every split on the trainer's device (``true``), on it only when that is
            an accelerator (``"auto"``), or in host memory (``false``). On a GPU this spares the
            copy of every batch from the host; the dataset must fit in its memory.
    """

    dataset_name: str = "dataset"
    class_names: tuple[str, ...] = ()

    def __init__(
        self,
        data_dir: str,
        labkit_data: str | None,
        batch_size: int,
        eval_batch_size: int,
        val_size: int,
        split_seed: int,
        shuffle_seed: int,
        mean: float | Sequence[float] | None = None,
        std: float | Sequence[float] | None = None,
        download: bool = True,
        on_device: bool | str = False,
    ) -> None:
        super().__init__()
        for name, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if not _is_int(value) or value <= 0:
                raise ConfigError(f"data.{name} must be a positive integer, got {value!r}.")
        if not _is_int(val_size) or val_size <= 0:
            raise ConfigError(
                f"data.val_size must be a positive integer (training images held out for "
                f"validation of {self.dataset_name}), got {val_size!r}."
            )
        self.save_hyperparameters(logger=False)
        self.data_dir, self.labkit_data = Path(data_dir), labkit_data
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.val_size, self.split_seed, self.shuffle_seed = val_size, split_seed, shuffle_seed
        self.mean, self.std = _channel_values("mean", mean), _channel_values("std", std)
        if (self.mean is None) != (self.std is None):
            raise ConfigError(
                f"data.mean and data.std must both be set or both be null (computed from the "
                f"training split), got mean={mean!r}, std={std!r}."
            )
        if self.std is not None and min(self.std) <= 0:
            raise ConfigError(f"data.std must be > 0, got {std!r}.")
        self.download = download
        if on_device not in (True, False, "auto"):
            raise ConfigError(f"data.on_device must be true, false or auto, got {on_device!r}.")
        self.on_device = on_device
        self.splits: dict[str, Batch] = {}
        self.pixel_mean: tuple[float, ...] = ()
        self.pixel_std: tuple[float, ...] = ()
        self._loading: Future | None = None  # a background load begun by start_loading()

    # --- what a subclass provides -------------------------------------------------------------

    def load_split(self, split: str) -> tuple[Array, Array]:
        """``(x, y)`` of ``split`` (``"train"`` or ``"test"``) from files already on disk."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_split(split).")

    def locate_files(self, download: bool) -> None:
        """Find every file ``load_split`` reads (downloading when ``download``), or raise DataError."""
        raise NotImplementedError(f"{type(self).__name__} must implement locate_files(download).")

    def prepare_cache(self) -> None:
        """Write, once per node, what ``load_split`` would otherwise build on every process."""

    def augment_batch(self, x: torch.Tensor, y: torch.Tensor) -> Batch:
        """Augment one training batch on its device; the identity unless a subclass overrides it."""
        return x, y

    # --- what the base does -------------------------------------------------------------------

    def prepare_data(self) -> None:
        # Lightning runs this on one process per node: only here may files be downloaded.
        if self.splits or self._loading is not None:
            return  # loaded already, or loading in the background from files on disk
        self.locate_files(self.download)
        self.prepare_cache()

    def files_ready(self) -> bool:
        """Whether the files are on disk already, so ``load_split`` may run early (no download)."""
        try:
            self.locate_files(download=False)
        except DataError:
            return False
        return True

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one image; known after ``setup()``."""
        if not self.splits:
            raise RuntimeError(f"{type(self).__name__}.input_shape is known after setup().")
        return tuple(self.splits["train"][0].shape[1:])

    def start_loading(self) -> None:
        """Begin loading the dataset in a background thread; ``setup()`` then waits for it.

        Decompressing, checking and converting mostly runs outside the GIL, so it overlaps with
        building the model, trainer and loggers. Only when the files are already on disk: a
        download is ``prepare_data``'s, on one process per node.
        """
        if self.splits or self._loading is not None or not self.files_ready():
            return
        self._loading = start_in_background(self._load_splits, name="labkit-data")

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        loading, self._loading = self._loading, None
        # result() re-raises whatever the background load raised (bad files, bad val_size).
        splits, (mean, std) = loading.result() if loading is not None else self._load_splits()
        device = self._holding_device()
        if device is not None:
            splits = {name: (x.to(device), y.to(device)) for name, (x, y) in splits.items()}
        self.splits, self.pixel_mean, self.pixel_std = splits, mean, std

    def _holding_device(self) -> torch.device | None:
        """Where ``on_device`` wants the splits; None for host memory."""
        if self.on_device is False or self.trainer is None:
            return None
        device = self.trainer.strategy.root_device
        return None if self.on_device == "auto" and device.type == "cpu" else device

    def _load_splits(self) -> tuple[dict[str, Batch], tuple[tuple[float, ...], tuple[float, ...]]]:
        x, y = self._tensors("train")
        if not 0 < self.val_size < len(x):
            raise ConfigError(
                f"data.val_size must be between 1 and {len(x) - 1} for {self.dataset_name}, "
                f"got {self.val_size}."
            )
        train_idx, val_idx = map(
            torch.from_numpy, train_val_indices(len(x), self.val_size, self.split_seed)
        )
        train, val = (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])
        del x  # both parts are copies: free the whole before the test split comes in
        splits = {"train": train, "val": val, "test": self._tensors("test")}
        mean, std = self._normalisation(splits["train"][0])
        for images, _ in splits.values():
            for c, (m, s) in enumerate(zip(mean, std, strict=True)):
                images[:, c].sub_(m).div_(s)
        return splits, (mean, std)

    def _tensors(self, split: str) -> Batch:
        """``load_split(split)`` as ``x: (N, C, H, W) float32`` (uint8 scaled to [0, 1]) and int64 ``y``."""
        x, y = self.load_split(split)
        where = f"{self.dataset_name} ({split})"
        if x.ndim not in (3, 4) or y.ndim not in (1, 2) or len(x) != len(y):
            raise DataError(
                f"{where}: images {tuple(x.shape)} and labels {tuple(y.shape)} do not pair up as "
                f"(N, H, W) or (N, C, H, W) images and (N,) or (N, T) labels."
            )
        images = _float_copy(x, where)
        if images.ndim == 3:
            images = images.unsqueeze(1)
        return images, _int64_copy(y, where)

    def _normalisation(self, train_x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
        channels = train_x.shape[1]
        if self.mean is None:  # computed on the training images only: nothing of val/test leaks
            stats = [torch.var_mean(train_x[:, c], correction=0) for c in range(channels)]
            mean = tuple(float(m) for _, m in stats)
            std = tuple(float(v) ** 0.5 for v, _ in stats)
            if min(std) == 0:
                raise DataError(
                    f"{self.dataset_name}: channel {std.index(0)} of the training images is "
                    f"constant, so it cannot be standardised. Set data.mean and data.std."
                )
            return mean, std
        mean, std = self.mean, self.std
        for name, values in (("mean", mean), ("std", std)):
            if len(values) not in (1, channels):
                raise ConfigError(
                    f"data.{name} has {len(values)} values but {self.dataset_name} images have "
                    f"{channels} channels: give one value, or one per channel."
                )
        return mean * (channels // len(mean)), std * (channels // len(std))

    def _loader(self, split: str, batch_size: int, shuffle: bool) -> TensorBatchLoader:
        x, y = self.splits[split]
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer else (0, 1)
        sampler = ShardedBatchSampler(
            len(x), batch_size, shuffle=shuffle, seed=self.shuffle_seed, rank=rank, world_size=world
        )
        return TensorBatchLoader(x, y, sampler)

    def train_dataloader(self) -> TensorBatchLoader:
        return self._loader("train", self.batch_size, shuffle=True)

    def val_dataloader(self) -> TensorBatchLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> TensorBatchLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)

    def on_after_batch_transfer(self, batch: object, dataloader_idx: int) -> object:
        """Augment training batches on their device."""
        if self.trainer is None or not self.trainer.training:
            return batch
        return self.augment_batch(*batch)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _channel_values(name: str, value: float | Sequence[float] | None) -> tuple[float, ...] | None:
    """A config's ``mean``/``std`` as a tuple of floats: one, or one per channel; None stays None."""
    if value is None:
        return None
    values = [value] if isinstance(value, int | float) else list(value)
    if not values or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise ConfigError(
            f"data.{name} must be a number, a list of one number per channel, or null, "
            f"got {value!r}."
        )
    return tuple(float(v) for v in values)


def _float_copy(x: Array, where: str) -> torch.Tensor:
    """``x`` as a new float32 tensor, uint8 scaled to [0, 1]: the caller's array stays untouched."""
    if isinstance(x, np.ndarray):
        if x.dtype != np.uint8 and not np.issubdtype(x.dtype, np.floating):
            raise DataError(f"{where}: images must be uint8 or float, got {x.dtype}.")
        images = torch.from_numpy(x.astype(np.float32))  # astype copies
        scale = x.dtype == np.uint8
    else:
        if x.dtype != torch.uint8 and not x.is_floating_point():
            raise DataError(f"{where}: images must be uint8 or float, got {x.dtype}.")
        images = x.to(torch.float32, copy=True)
        scale = x.dtype == torch.uint8
    return images.div_(255.0) if scale else images


def _int64_copy(y: Array, where: str) -> torch.Tensor:
    if isinstance(y, np.ndarray):
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{where}: labels must be integers, got {y.dtype}.")
        return torch.from_numpy(y.astype(np.int64))
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise DataError(f"{where}: labels must be integers, got {y.dtype}.")
    return y.to(torch.int64, copy=True)
