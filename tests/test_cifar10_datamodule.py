"""CIFAR10DataModule: tiny real-format files in, standardised splits and augmented batches out."""

import numpy as np
import pytest
import torch

from datamodules import cifar10_files
from datamodules.cifar10 import CIFAR10DataModule
from labkit.errors import ConfigError
from tests.helpers.cifar_writer import tiny_cifar, write_image_folder, write_pickles


@pytest.fixture
def cifar_root(tmp_path):
    root = tmp_path / "shared"
    write_pickles(root, "train", *tiny_cifar(60, seed=0))
    write_pickles(root, "test", *tiny_cifar(20, seed=1))
    return root


def _dm(tmp_path, root, **kw):
    args = dict(
        data_dir=str(tmp_path / "cache"),
        labkit_data=str(root),
        batch_size=16,
        eval_batch_size=32,
        val_size=10,
        split_seed=3,
        shuffle_seed=0,
        download=False,
        progress=False,
    )
    args.update(kw)
    dm = CIFAR10DataModule(**args)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_splits_are_standardised_rgb_images_of_the_right_sizes(tmp_path, cifar_root):
    dm = _dm(tmp_path, cifar_root)
    sizes = {name: tuple(x.shape) for name, (x, _) in dm.splits.items()}
    assert sizes == {"train": (50, 3, 32, 32), "val": (10, 3, 32, 32), "test": (20, 3, 32, 32)}
    assert dm.input_shape == (3, 32, 32) and dm.num_classes == 10
    train = dm.splits["train"][0]
    for c in range(3):
        assert abs(float(train[:, c].mean())) < 1e-4
        assert abs(float(train[:, c].std(correction=0)) - 1) < 1e-4


def test_images_keep_their_pixels_and_channel_order(tmp_path, cifar_root):
    x, _ = tiny_cifar(20, seed=1)
    dm = _dm(tmp_path, cifar_root)
    test = dm.splits["test"][0]
    mean, std = torch.tensor(dm.pixel_mean), torch.tensor(dm.pixel_std)
    pixels = test * std[:, None, None] + mean[:, None, None]
    expected = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
    torch.testing.assert_close(pixels, expected, atol=1e-5, rtol=0)


def test_image_folder_gives_the_same_test_split_as_the_pickles_up_to_order(tmp_path, cifar_root):
    folder_root = tmp_path / "folder"
    write_image_folder(folder_root, "train", *tiny_cifar(60, seed=0))
    write_image_folder(folder_root, "test", *tiny_cifar(20, seed=1))
    # Fixed statistics: the val images (and so the computed ones) depend on the training order.
    a = _dm(tmp_path / "a", cifar_root, mean=0.5, std=0.25).splits["test"]
    b = _dm(tmp_path / "b", folder_root, mean=0.5, std=0.25).splits["test"]
    order = torch.argsort(a[1], stable=True)[torch.from_numpy(cifar10_files.folder_order(20))]
    torch.testing.assert_close(b[0], a[0][order], atol=1e-5, rtol=0)
    assert torch.equal(b[1], a[1][order])


def test_training_batches_are_cropped_and_flipped_and_others_are_not(tmp_path, cifar_root):
    dm = _dm(tmp_path, cifar_root)
    x, y = dm.splits["train"]
    torch.manual_seed(0)
    out, out_y = dm.augment_batch(x, y)
    assert out.shape == x.shape and torch.equal(out_y, y)
    assert not torch.equal(out, x)
    off = _dm(tmp_path, cifar_root, crop_padding=0, flip=False)
    assert torch.equal(off.augment_batch(x, y)[0], x)


def test_on_device_true_on_cpu_runs_the_same_code(tmp_path, cifar_root):
    dm = _dm(tmp_path, cifar_root, on_device=True)  # no trainer: host memory
    assert dm.splits["train"][0].device.type == "cpu"


@pytest.mark.parametrize(
    "kw,match",
    [({"crop_padding": -1}, "crop_padding"), ({"on_device": "gpu"}, "on_device")],
)
def test_bad_settings_are_config_errors(tmp_path, cifar_root, kw, match):
    with pytest.raises(ConfigError, match=match):
        _dm(tmp_path, cifar_root, **kw)


def test_second_setup_reads_the_cache_only(tmp_path, cifar_root):
    _dm(tmp_path, cifar_root)
    for file in (cifar_root / "cifar-10-batches-py").iterdir():
        file.write_bytes(file.read_bytes())  # same bytes, new mtime: the cache is stale
    cache = tmp_path / "cache" / "cifar10_uint8" / "train.npz"
    before = cache.stat().st_mtime_ns
    _dm(tmp_path, cifar_root)
    assert cache.stat().st_mtime_ns > before
    unchanged = cache.stat().st_mtime_ns
    _dm(tmp_path, cifar_root)
    assert cache.stat().st_mtime_ns == unchanged
    np.testing.assert_array_equal(np.load(cache)["y"][:3], [0, 1, 2])
