"""IDX reading and the data_dir -> LABKIT_DATA -> download -> clear error chain."""

import re

import numpy as np
import pytest

from datamodules.idx_files import load_split, locate_split, read_idx
from labkit.errors import DataError
from tests.helpers.idx_writer import write_idx, write_tiny_dataset


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_plain_and_gzipped_files(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "x-idx3-ubyte", array, compress=compress)
    np.testing.assert_array_equal(read_idx(path), array)


def test_truncated_idx_file_names_the_file_and_the_fix(tmp_path):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"truncated or corrupt.*Delete .*train-images-idx3-ubyte"):
        read_idx(path)


def test_truncated_gzip_is_a_data_error_not_an_eof_traceback(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (50, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte", noise, compress=True)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match="Cannot read"):
        read_idx(path)


def test_file_that_is_not_idx_is_rejected(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def test_data_dir_is_preferred_over_labkit_data(tmp_path):
    write_tiny_dataset(tmp_path / "cache", n_train=20, n_test=10, seed=1)
    write_tiny_dataset(tmp_path / "shared", n_train=30, n_test=10, seed=2)
    images, labels = load_split("MNIST", "train", tmp_path / "cache", tmp_path / "shared")
    assert images.shape == (20, 28, 28) and labels.shape == (20,) and labels.dtype == np.int64


def test_labkit_data_is_used_when_the_cache_is_empty(tmp_path):
    write_tiny_dataset(tmp_path / "shared", n_train=30, n_test=10, compress=True)
    images, _ = load_split("MNIST", "test", tmp_path / "cache", tmp_path / "shared")
    assert images.shape == (10, 28, 28)


def test_missing_dataset_offline_gives_one_clear_error_and_leaves_no_files(tmp_path, no_network):
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        locate_split("FashionMNIST", "train", cache, tmp_path / "nowhere")
    message = str(info.value)
    assert "FashionMNIST (train) not found" in message
    assert str(cache / "FashionMNIST" / "raw" / "train-images-idx3-ubyte") in message
    assert "download failed" in message and "LABKIT_DATA" in message
    assert not (cache / "FashionMNIST").exists(), "a failed download left files in the cache"


def test_download_disabled_says_so(tmp_path):
    with pytest.raises(DataError, match="download disabled"):
        locate_split("MNIST", "test", tmp_path, None, download=False)


def test_the_fix_names_the_config_key_paths_data_dir(tmp_path):
    with pytest.raises(DataError) as info:
        locate_split("MNIST", "test", tmp_path, None, download=False)
    message = str(info.value)
    assert "or set paths.data_dir=<that folder>." in message
    assert "torchvision downloads it into paths.data_dir" in message
    # No bare "data_dir=": typed on the command line, that key does not exist.
    assert re.search(r"(?<!paths\.)\bdata_dir\b", message.replace(str(tmp_path), "")) is None


def test_images_and_labels_of_different_lengths_are_rejected(tmp_path):
    write_tiny_dataset(tmp_path, n_train=20, n_test=10)
    write_idx(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(19, np.uint8))
    with pytest.raises(DataError, match="do not pair up"):
        load_split("MNIST", "train", tmp_path, None)


@pytest.mark.real_data
def test_real_mnist_from_labkit_data_has_the_published_shapes(tmp_path):
    import os

    train_x, train_y = load_split("MNIST", "train", tmp_path, os.environ["LABKIT_DATA"], False)
    test_x, _ = load_split("MNIST", "test", tmp_path, os.environ["LABKIT_DATA"], False)
    assert train_x.shape == (60000, 28, 28) and test_x.shape == (10000, 28, 28)
    assert np.bincount(train_y).min() > 5000  # every digit well represented


def test_a_file_of_official_size_with_the_wrong_md5_is_rejected(tmp_path):
    write_tiny_dataset(tmp_path, n_train=20, n_test=10)
    # 60000 labels: the official length of train-labels, but not the official content.
    write_idx(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(60000, np.uint8))
    with pytest.raises(
        DataError, match=r"has md5 [0-9a-f]{32} but the published MNIST .* a25bea73"
    ):
        load_split("MNIST", "train", tmp_path, None)
