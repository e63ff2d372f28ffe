"""PermutedFashionMNIST: one seeded pixel permutation, applied last, the same in every process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from callbacks.permutation_grid import PermutationGrid
from datamodules.mnist import FashionMNISTDataModule
from datamodules.permuted_fashion_mnist import PermutedFashionMNISTDataModule
from labkit.errors import ConfigError


def _args(tmp_path, tiny_data_root) -> dict:
    return {
        "data_dir": str(tmp_path / "cache"),
        "labkit_data": str(tiny_data_root),
        "batch_size": 32,
        "eval_batch_size": 100,
        "val_size": 100,
        "split_seed": 0,
        "shuffle_seed": 0,
    }


def _ready(datamodule):
    datamodule.setup("fit")
    return datamodule


def test_every_split_is_the_plain_one_with_its_pixels_permuted(tmp_path, tiny_data_root):
    plain = _ready(FashionMNISTDataModule(**_args(tmp_path, tiny_data_root)))
    permuted = _ready(
        PermutedFashionMNISTDataModule(permutation_seed=3, **_args(tmp_path, tiny_data_root))
    )
    perm = permuted.permutation
    assert sorted(perm.tolist()) == list(range(28 * 28)) and not torch.equal(
        perm, torch.arange(28 * 28)
    )
    for split in ("train", "val", "test"):
        (x, y), (px, py) = plain.splits[split], permuted.splits[split]
        assert px.shape == x.shape and torch.equal(py, y)
        # Applied after the standardisation: the permuted pixels are the plain split's, moved.
        assert torch.equal(px.flatten(1), x.flatten(1)[:, perm]), split


def test_the_permutation_depends_on_its_seed_only(tmp_path, tiny_data_root):
    torch.manual_seed(123)  # a run's seed, or another DDP process's state, changes nothing
    a = _ready(
        PermutedFashionMNISTDataModule(permutation_seed=7, **_args(tmp_path, tiny_data_root))
    )
    torch.manual_seed(456)
    b = _ready(
        PermutedFashionMNISTDataModule(permutation_seed=7, **_args(tmp_path, tiny_data_root))
    )
    c = _ready(
        PermutedFashionMNISTDataModule(permutation_seed=8, **_args(tmp_path, tiny_data_root))
    )
    assert torch.equal(a.permutation, b.permutation)
    assert not torch.equal(a.permutation, c.permutation)
    a.setup("test")  # a second setup (fit, then test) must not permute twice
    assert torch.equal(a.splits["test"][0], b.splits["test"][0])


def test_a_permutation_that_does_not_fit_the_images_is_refused(tmp_path, tiny_data_root):
    datamodule = PermutedFashionMNISTDataModule(
        permutation_seed=0, num_features=1024, **_args(tmp_path, tiny_data_root)
    )
    with pytest.raises(ConfigError, match=r"1024 pixels does not fit 1x28x28 images \(784"):
        datamodule.setup("fit")


def test_the_grid_shows_each_permuted_image_below_its_original(tmp_path, tiny_data_root):
    datamodule = _ready(
        PermutedFashionMNISTDataModule(permutation_seed=0, **_args(tmp_path, tiny_data_root))
    )
    trainer = SimpleNamespace(datamodule=datamodule, loggers=[], global_step=0)
    grid = PermutationGrid(str(tmp_path / "plots"), num_images=4)
    grid.on_fit_start(trainer, None)
    assert (tmp_path / "plots" / "permuted_samples.png").read_bytes().startswith(b"\x89PNG")
    # Plain data: nothing to show, and nothing drawn.
    plain = _ready(FashionMNISTDataModule(**_args(tmp_path, tiny_data_root)))
    other = PermutationGrid(str(tmp_path / "plain"), num_images=4)
    other.on_fit_start(SimpleNamespace(datamodule=plain, loggers=[], global_step=0), None)
    assert not (tmp_path / "plain").exists()
