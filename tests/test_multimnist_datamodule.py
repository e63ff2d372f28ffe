"""MultiMNISTDataModule: two-digit images built from MNIST's own splits, standardised, batched."""

import torch

from datamodules.multimnist import MultiMNISTDataModule
from datamodules.multimnist_samples import cache_path


def _module(tmp_path, tiny_data_root, **overrides):
    args = dict(
        data_dir=str(tmp_path / "cache"),
        labkit_data=str(tiny_data_root),
        batch_size=16,
        eval_batch_size=50,
        val_size=40,
        split_seed=1,
        shuffle_seed=0,
        mean=None,
        std=None,
        download=False,
        train_samples=200,
        test_samples=60,
    )
    return MultiMNISTDataModule(**{**args, **overrides})


def test_splits_have_two_labels_per_36x36_image_and_standardised_pixels(tmp_path, tiny_data_root):
    dm = _module(tmp_path, tiny_data_root)
    dm.setup()
    x, y = dm.splits["train"]
    assert x.shape == (160, 1, 36, 36) and y.shape == (160, 2) and y.dtype == torch.int64
    assert dm.splits["val"][0].shape == (40, 1, 36, 36)
    assert dm.splits["test"][0].shape == (60, 1, 36, 36)
    assert abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1) < 1e-3
    xb, yb = next(iter(dm.train_dataloader()))
    assert xb.shape == (16, 1, 36, 36) and yb.shape == (16, 2)
    assert cache_path(tmp_path / "cache", "train").is_file(), "generated once, then cached"


def test_the_same_generation_seed_gives_the_same_images_and_another_seed_other_ones(
    tmp_path, tiny_data_root
):
    first = _module(tmp_path, tiny_data_root)
    first.setup()
    again = _module(tmp_path, tiny_data_root, data_dir=str(tmp_path / "other_cache"))
    again.setup()
    other = _module(tmp_path, tiny_data_root, generation_seed=1)
    other.setup()
    assert torch.equal(first.splits["test"][0], again.splits["test"][0])
    assert torch.equal(first.splits["test"][1], again.splits["test"][1])
    assert not torch.equal(first.splits["test"][1], other.splits["test"][1])
