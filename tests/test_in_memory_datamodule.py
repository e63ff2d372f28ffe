"""InMemoryDataModule: a subclass that only loads arrays gets splits, statistics, loaders, augmentation."""

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from datamodules.in_memory import InMemoryDataModule
from labkit.errors import ConfigError, DataError

N_TRAIN, N_TEST = 120, 40
# Channel c of every image is drawn around a different level, so per-channel statistics differ.
CHANNEL_LEVELS = (30, 128, 220)


def rgb_pairs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x: (n, 3, 4, 5) uint8`` and ``y: (n, 2) int64`` = (index in the split, class)."""
    rng = np.random.default_rng(seed)
    x = np.stack([rng.normal(level, 20, (n, 4, 5)) for level in CHANNEL_LEVELS], axis=1)
    y = np.stack([np.arange(n), rng.integers(0, 4, n)], axis=1)
    return np.clip(x, 0, 255).astype(np.uint8), y


class RGBPairsDataModule(InMemoryDataModule):
    """RGB images with two labels each, made in memory (no files)."""

    dataset_name = "RGBPairs"
    class_names = ("a", "b", "c", "d")

    def locate_files(self, download: bool) -> None:
        """Made in memory: nothing to find."""

    def load_split(self, split):
        return rgb_pairs(N_TRAIN if split == "train" else N_TEST, seed=0 if split == "train" else 1)


class ShiftedRGBPairs(RGBPairsDataModule):
    """Adds 1000 to every augmented image, so a test can tell which batches were augmented."""

    def augment_batch(self, x, y):
        return x + 1000, y


def _dm(cls=RGBPairsDataModule, **kw):
    args = dict(
        data_dir="unused",
        labkit_data=None,
        batch_size=16,
        eval_batch_size=32,
        val_size=20,
        split_seed=3,
        shuffle_seed=0,
        mean=None,
        std=None,
    )
    args.update(kw)
    dm = cls(**args)
    dm.setup("fit")
    return dm


def test_split_sizes_shapes_and_multi_label_batches():
    dm = _dm()
    assert {s: len(dm.splits[s][0]) for s in dm.splits} == {"train": 100, "val": 20, "test": 40}
    assert dm.input_shape == (3, 4, 5) and dm.num_classes == 4
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 3, 4, 5) and x.dtype == torch.float32
    assert y.shape == (16, 2) and y.dtype == torch.int64


def test_val_and_train_partition_the_training_split_by_split_seed_only():
    a, b, c = _dm(), _dm(shuffle_seed=7), _dm(split_seed=4)
    train_ids, val_ids = a.splits["train"][1][:, 0], a.splits["val"][1][:, 0]
    assert torch.equal(torch.cat([train_ids, val_ids]).sort().values, torch.arange(N_TRAIN))
    assert torch.equal(val_ids, val_ids.sort().values), "val indices are not kept in order"
    assert torch.equal(val_ids, b.splits["val"][1][:, 0]), "the run's seed changed the split"
    assert not torch.equal(val_ids, c.splits["val"][1][:, 0]), "split_seed changed nothing"


def test_null_mean_and_std_standardise_each_channel_of_the_training_split():
    dm = _dm()
    x = dm.splits["train"][0]
    torch.testing.assert_close(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(x.std(dim=(0, 2, 3), correction=0), torch.ones(3))
    # The statistics are the training images' only, per channel, in units of pixels / 255.
    raw_x, raw_y = rgb_pairs(N_TRAIN, seed=0)
    train_raw = raw_x[np.isin(raw_y[:, 0], dm.splits["train"][1][:, 0].numpy())] / 255
    np.testing.assert_allclose(dm.pixel_mean, train_raw.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(dm.pixel_std, train_raw.std(axis=(0, 2, 3)), rtol=1e-4)


def test_configured_per_channel_statistics_are_applied_to_every_split():
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.25, 0.5]
    dm = _dm(mean=mean, std=std)
    raw_x, _ = rgb_pairs(N_TEST, seed=1)
    expected = (torch.from_numpy(raw_x).float() / 255 - torch.tensor(mean)[:, None, None]) / (
        torch.tensor(std)[:, None, None]
    )
    torch.testing.assert_close(dm.splits["test"][0], expected)
    assert dm.pixel_mean == tuple(mean) and dm.pixel_std == tuple(std)


def test_one_configured_value_serves_every_channel():
    one, per_channel = _dm(mean=0.5, std=0.25), _dm(mean=[0.5] * 3, std=[0.25] * 3)
    assert torch.equal(one.splits["val"][0], per_channel.splits["val"][0])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"mean": [0.1, 0.2], "std": [0.3, 0.3]},
            "data.mean has 2 values but RGBPairs images have 3",
        ),
        ({"val_size": N_TRAIN}, f"data.val_size must be between 1 and {N_TRAIN - 1} for RGBPairs"),
    ],
)
def test_settings_that_do_not_fit_the_data_are_config_errors_at_setup(kw, match):
    with pytest.raises(ConfigError, match=match):
        _dm(**kw)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"mean": 0.5, "std": None}, "both be set or both be null"),
        ({"mean": 0.5, "std": [0.3, 0.0]}, "data.std must be > 0"),
        ({"mean": "x", "std": 0.3}, "data.mean must be a number"),
        ({"eval_batch_size": 0}, "data.eval_batch_size must be a positive integer"),
        ({"val_size": 0}, "data.val_size must be a positive integer"),
    ],
)
def test_bad_arguments_are_config_errors_at_construction(kw, match):
    args = dict(data_dir="d", labkit_data=None, batch_size=8, eval_batch_size=8, val_size=5)
    args.update(split_seed=0, shuffle_seed=0, mean=None, std=None)
    args.update(kw)
    with pytest.raises(ConfigError, match=match):
        RGBPairsDataModule(**args)


def test_a_constant_channel_cannot_be_standardised_from_its_statistics():
    class Blank(RGBPairsDataModule):
        def load_split(self, split):
            x, y = rgb_pairs(N_TRAIN, seed=0)
            x[:, 1] = 7
            return x, y

    with pytest.raises(DataError, match="channel 1 of the training images is constant"):
        _dm(Blank)
    assert _dm(Blank, mean=0.5, std=0.25).pixel_std == (0.25,) * 3


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((4, 3, 2, 2), np.uint8), np.zeros(5, np.int64), "do not pair up"),
        (np.zeros((4, 2), np.uint8), np.zeros(4, np.int64), "do not pair up"),
        (np.zeros((4, 2, 2), np.int32), np.zeros(4, np.int64), "images must be uint8 or float"),
        (np.zeros((4, 2, 2), np.uint8), np.zeros(4, np.float32), "labels must be integers"),
    ],
    ids=["lengths", "2-d-images", "int32-images", "float-labels"],
)
def test_arrays_of_the_wrong_shape_or_type_are_data_errors(x, y, match):
    class Bad(RGBPairsDataModule):
        def load_split(self, split):
            return x, y

    with pytest.raises(DataError, match=f"RGBPairs \\(train\\): .*{match}"):
        _dm(Bad, val_size=1)


def test_float_images_are_taken_as_they_are_and_the_callers_array_is_untouched():
    images = torch.rand(30, 1, 3, 3)
    original = images.clone()

    class FloatImages(RGBPairsDataModule):
        def load_split(self, split):
            return images, torch.arange(30)

    dm = _dm(FloatImages, val_size=5, mean=0.0, std=1.0)
    assert torch.equal(images, original), "normalising in place changed the subclass's tensor"
    for x, y in (dm.splits["train"], dm.splits["val"]):
        assert torch.equal(x, images[y]), "float images were rescaled or reordered"


class RecordingModule(pl.LightningModule):
    """Records the images of every batch each stage sees."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen = {"train": [], "val": [], "test": []}

    def _record(self, stage, batch):
        x, _ = batch
        self.seen[stage].append(x)
        return (self.w * x.mean()).sum()

    def training_step(self, batch, batch_idx):
        return self._record("train", batch)

    def validation_step(self, batch, batch_idx):
        self._record("val", batch)

    def test_step(self, batch, batch_idx):
        self._record("test", batch)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_augmentation_runs_on_training_batches_only():
    dm = ShiftedRGBPairs("unused", None, 16, 32, 20, 3, 0, mean=None, std=None)
    module = RecordingModule()
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=1,
    )
    trainer.fit(module, datamodule=dm)
    trainer.test(module, datamodule=dm, verbose=False)
    seen = {stage: torch.cat(xs) for stage, xs in module.seen.items()}
    assert len(seen["train"]) == 100 and len(seen["test"]) == 40
    assert seen["train"].min() > 900, "a training batch was not augmented"
    # val: the sanity check plus the epoch's validation; neither may be augmented.
    assert len(seen["val"]) == 40 and seen["val"].max() < 100 and seen["test"].max() < 100
