"""MNIST-family DataModules on tiny IDX files (the same code path as the real data)."""

import os

import numpy as np
import pytest
import torch

from datamodules.idx_files import load_split
from datamodules.mnist import FashionMNISTDataModule, MNISTDataModule
from labkit.errors import ConfigError


def _dm(cls, root, **kw):
    args = dict(
        data_dir=str(root / "cache"),
        labkit_data=str(root),
        batch_size=32,
        eval_batch_size=50,
        val_size=100,
        split_seed=3,
        shuffle_seed=0,
        mean=0.1307,
        std=0.3081,
        download=False,
    )
    args.update(kw)
    return cls(**args)


@pytest.mark.parametrize("cls", [MNISTDataModule, FashionMNISTDataModule])
def test_setup_gives_normalised_tensors_split_train_val_test(cls, tiny_data_root, tmp_path):
    dm = _dm(cls, tiny_data_root)
    dm.prepare_data()
    dm.setup("fit")
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert [len(dm.splits[s][0]) for s in ("train", "val", "test")] == [500, 100, 200]
    assert len(dm.class_names) == 10


def test_train_val_split_is_fixed_by_split_seed_not_by_the_run_seed(tiny_data_root):
    a, b = (
        _dm(MNISTDataModule, tiny_data_root),
        _dm(MNISTDataModule, tiny_data_root, shuffle_seed=9),
    )
    a.setup(), b.setup()
    torch.testing.assert_close(a.splits["val"][0], b.splits["val"][0])
    c = _dm(MNISTDataModule, tiny_data_root, split_seed=4)
    c.setup()
    assert not torch.equal(a.splits["val"][1], c.splits["val"][1])


def test_val_size_larger_than_the_training_set_is_a_config_error(tiny_data_root):
    dm = _dm(MNISTDataModule, tiny_data_root, val_size=600)
    with pytest.raises(ConfigError, match="data.val_size must be between 1 and 599"):
        dm.setup()


def test_negative_batch_size_is_a_config_error(tiny_data_root):
    with pytest.raises(ConfigError, match="data.batch_size must be a positive integer"):
        _dm(MNISTDataModule, tiny_data_root, batch_size=-1)


@pytest.mark.real_data
def test_real_mnist_is_standardised_with_its_published_statistics(tmp_path):
    dm = MNISTDataModule(
        str(tmp_path),
        os.environ["LABKIT_DATA"],
        128,
        1000,
        5000,
        12345,
        0,
        0.1307,
        0.3081,
        download=False,
    )
    dm.setup()
    x = dm.splits["train"][0]
    assert x.shape == (55000, 1, 28, 28)
    assert abs(float(x.mean())) < 0.01 and abs(float(x.std()) - 1) < 0.01


def test_a_background_load_gives_the_same_tensors_as_setup(tiny_data_root):
    direct, early = _dm(MNISTDataModule, tiny_data_root), _dm(MNISTDataModule, tiny_data_root)
    early.start_loading()
    assert early._loading is not None  # the files are on disk: the load has begun
    direct.setup("fit")
    early.setup("fit")
    assert early._loading is None
    for split in ("train", "val", "test"):
        for a, b in zip(direct.splits[split], early.splits[split], strict=True):
            assert torch.equal(a, b)


def test_a_background_load_raises_its_error_in_setup(tiny_data_root):
    dm = _dm(MNISTDataModule, tiny_data_root, val_size=10_000)
    dm.start_loading()
    with pytest.raises(ConfigError, match="val_size"):
        dm.setup("fit")


def test_without_the_files_on_disk_nothing_loads_early(tmp_path):
    dm = _dm(MNISTDataModule, tmp_path / "empty")
    dm.start_loading()  # a download (prepare_data's job) would be needed: no early load
    assert dm._loading is None


@pytest.mark.parametrize("cls", [MNISTDataModule, FashionMNISTDataModule])
def test_splits_and_batches_equal_the_reference_algorithm_bit_for_bit(cls, tiny_data_root):
    """The split and batch algorithm, written out: results must not drift.

    (The train/val split is NumPy's, shared with the NumPy experiments; runs before that change
    drew it with torch.randperm.)"""
    images, labels = load_split(cls.dataset_name, "train", tiny_data_root, None, download=False)
    x = torch.from_numpy(images.astype(np.float32)).unsqueeze(1)
    x, y = (x / 255.0 - 0.1307) / 0.3081, torch.from_numpy(labels)
    order = torch.from_numpy(np.random.default_rng(3).permutation(len(x)))
    val_idx, train_idx = order[:100].sort().values, order[100:].sort().values
    dm = _dm(cls, tiny_data_root)
    dm.setup("fit")
    for split, idx in (("train", train_idx), ("val", val_idx)):
        assert torch.equal(dm.splits[split][0], x[idx]) and torch.equal(dm.splits[split][1], y[idx])
    # Epoch 1's shuffle: a permutation drawn from shuffle_seed + epoch, cut into batches of 32.
    loader = dm.train_dataloader()
    loader.sampler.set_epoch(1)
    shuffle = torch.randperm(500, generator=torch.Generator().manual_seed(0 + 1))
    for i, (bx, by) in enumerate(loader):
        idx = train_idx[shuffle[i * 32 : (i + 1) * 32]]
        assert torch.equal(bx, x[idx]) and torch.equal(by, y[idx]), f"batch {i} differs"


def test_the_numpy_experiments_hold_out_the_same_validation_images(tiny_data_root):
    from numpy_experiments.mnist_arrays import load_classification_arrays

    dm = _dm(FashionMNISTDataModule, tiny_data_root)
    dm.setup("fit")
    arrays = load_classification_arrays(
        "FashionMNIST", tiny_data_root / "cache", tiny_data_root, val_size=100, seed=3
    )
    np.testing.assert_array_equal(arrays.y_val, dm.splits["val"][1].numpy())
    # Same images too, up to each side's normalisation (NumPy: the training split's statistics).
    pixels = dm.splits["val"][0].flatten(1).numpy() * 0.3081 + 0.1307
    np.testing.assert_allclose(
        arrays.x_val * arrays.pixel_std + arrays.pixel_mean, pixels, atol=1e-5
    )
