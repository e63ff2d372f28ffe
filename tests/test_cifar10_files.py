"""CIFAR-10 files: pickles, image folders and archives read into the same arrays, cached once."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest
from PIL import Image

from datamodules import cifar10_files
from datamodules.cifar10_files import CIFAR10_CLASSES, cache_path, load_cifar10_split
from labkit.errors import DataError
from tests.helpers.cifar_writer import archive, tiny_cifar, write_image_folder, write_pickles


def _load(tmp_path, split="train", **kw):
    kw.setdefault("labkit_data", tmp_path / "shared")
    return load_cifar10_split(
        split, data_dir=tmp_path / "cache", download=False, progress=False, **kw
    )


def _folder_order(x, y):
    """The images in an image folder's order: by class, then by original index, then shuffled."""
    order = np.argsort(y, kind="stable")[cifar10_files.folder_order(len(y))]
    return x[order], y[order]


def _no_cache_left(tmp_path):
    cache = tmp_path / "cache" / cifar10_files.CACHE_DIR
    return not cache.exists() or not any(cache.iterdir())


def test_classes_are_in_torchvision_order():
    assert CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[-1] == "truck"
    assert CIFAR10_CLASSES.index("frog") == 6 and CIFAR10_CLASSES.index("ship") == 8


@pytest.mark.parametrize("split,n", [("train", 25), ("test", 7)])
def test_pickles_give_the_images_in_file_order(tmp_path, split, n):
    x, y = tiny_cifar(n, seed=1)
    write_pickles(tmp_path / "shared", split, x, y)
    got_x, got_y = _load(tmp_path, split)
    assert got_x.dtype == np.uint8 and got_x.shape == (n, 32, 32, 3)
    assert got_y.dtype == np.int64
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


@pytest.mark.parametrize("packing", ["folder", "zip", "tar.gz"])
def test_image_folder_and_archives_give_the_same_images_as_the_pickles(tmp_path, packing):
    x, y = tiny_cifar(23, seed=2)
    write_pickles(tmp_path / "pickled", "test", x, y)
    folder = write_image_folder(tmp_path / "shared", "test", x, y)
    if packing != "folder":
        archive(folder, packing)
        shutil.rmtree(folder)
    from_pickles = _load(tmp_path, "test", labkit_data=tmp_path / "pickled")
    (tmp_path / "cache" / cifar10_files.CACHE_DIR / "test.npz").unlink()
    from_images = _load(tmp_path, "test")
    np.testing.assert_array_equal(from_images[0], _folder_order(*from_pickles)[0])
    np.testing.assert_array_equal(from_images[1], _folder_order(*from_pickles)[1])


def test_second_load_reads_the_cache_without_decoding(tmp_path, monkeypatch):
    x, y = tiny_cifar(12, seed=3)
    write_image_folder(tmp_path / "shared", "train", x, y)
    first = _load(tmp_path)
    assert cache_path(tmp_path / "cache", "train").is_file()

    def no_decoding(*args):
        raise AssertionError("decoded again although the cache is current")

    monkeypatch.setattr(cifar10_files, "_decode", no_decoding)
    second = _load(tmp_path)
    np.testing.assert_array_equal(second[0], first[0])
    np.testing.assert_array_equal(second[1], first[1])


def test_an_image_added_to_the_folder_rebuilds_the_cache(tmp_path):
    x, y = tiny_cifar(12, seed=4)
    folder = write_image_folder(tmp_path / "shared", "train", x, y)
    assert len(_load(tmp_path)[0]) == 12
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(folder / "train" / "airplane" / "0.png")
    got_x, got_y = _load(tmp_path)
    black = got_x.reshape(13, -1).max(1) == 0
    assert len(got_x) == 13 and black.sum() == 1 and got_y[black] == 0


def test_the_first_images_of_a_folder_mix_the_classes(tmp_path):
    x, y = tiny_cifar(100, seed=7)
    write_image_folder(tmp_path / "shared", "test", x, y)
    _, got_y = _load(tmp_path, "test")
    # Sorted by class, the first 20 would hold two classes; limited test batches would score those.
    assert len(set(got_y[:20].tolist())) >= 6
    assert sorted(got_y.tolist()) == sorted(y.tolist())


def test_a_rewritten_batch_file_rebuilds_the_cache(tmp_path):
    folder = write_pickles(tmp_path / "shared", "test", *tiny_cifar(6, seed=5))
    _load(tmp_path, "test")
    x, y = tiny_cifar(9, seed=6)
    write_pickles(tmp_path / "shared", "test", x, y)
    assert (folder / "test_batch").is_file()
    np.testing.assert_array_equal(_load(tmp_path, "test")[0], x)


def test_no_files_and_no_download_names_every_place_looked(tmp_path):
    with pytest.raises(DataError) as err:
        _load(tmp_path)
    message = str(err.value)
    assert "cifar-10-batches-py" in message and "cifar10.zip" in message
    assert str(tmp_path / "shared") in message and "download disabled" in message


def test_missing_class_folder_is_named(tmp_path):
    x, y = tiny_cifar(20, seed=5)
    folder = write_image_folder(tmp_path / "shared", "train", x, y)
    for png in (folder / "train" / "cat").iterdir():
        png.unlink()
    (folder / "train" / "cat").rmdir()
    with pytest.raises(DataError, match=r"no class folder cat\b"):
        _load(tmp_path)
    assert _no_cache_left(tmp_path)


def test_image_of_the_wrong_size_is_named(tmp_path):
    x, y = tiny_cifar(20, seed=6)
    folder = write_image_folder(tmp_path / "shared", "train", x, y)
    bad = folder / "train" / "dog" / "00005.png"
    Image.fromarray(np.zeros((28, 28, 3), np.uint8)).save(bad)
    with pytest.raises(DataError, match="28x28 pixels; CIFAR-10 images are 32x32") as err:
        _load(tmp_path)
    assert str(bad) in str(err.value)
    assert _no_cache_left(tmp_path)


@pytest.mark.parametrize("packing", ["folder", "zip"])
def test_a_file_that_is_not_an_image_is_named(tmp_path, packing):
    x, y = tiny_cifar(20, seed=7)
    folder = write_image_folder(tmp_path / "shared", "train", x, y)
    (folder / "train" / "ship" / "notes.txt").write_text("not an image")
    if packing == "zip":
        archive(folder, "zip")
        shutil.rmtree(folder)
    with pytest.raises(DataError, match="is not a readable image") as err:
        _load(tmp_path)
    assert "ship/notes.txt" in str(err.value)
    assert _no_cache_left(tmp_path)


def test_pickle_of_the_wrong_shape_is_named(tmp_path):
    x, y = tiny_cifar(25, seed=8)
    folder = write_pickles(tmp_path / "shared", "train", x, y)
    bad = folder / "data_batch_3"
    with open(bad, "wb") as f:
        pickle.dump({b"data": np.zeros((5, 1024), np.uint8), b"labels": [0] * 5}, f)
    with pytest.raises(DataError, match=r"'data' is \(5, 1024\) uint8; expected .*3072") as err:
        _load(tmp_path)
    assert str(bad) in str(err.value)
    assert _no_cache_left(tmp_path)


def test_pickle_with_labels_not_matching_its_images_is_named(tmp_path):
    x, y = tiny_cifar(10, seed=9)
    folder = write_pickles(tmp_path / "shared", "test", x, y)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2]}, f)
    with pytest.raises(DataError, match="test_batch: 'labels' \\(3 labels\\) do not match 4"):
        _load(tmp_path, "test")


def test_pickle_with_other_objects_is_refused_without_running_them(tmp_path):
    x, y = tiny_cifar(10, seed=10)
    folder = write_pickles(tmp_path / "shared", "test", x, y)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": print, b"labels": []}, f)
    with pytest.raises(DataError, match="cannot be read as a CIFAR-10 batch"):
        _load(tmp_path, "test")


@pytest.mark.real_data
@pytest.mark.slow
def test_real_test_split_has_1000_images_per_class(tmp_path):
    from tests.conftest import LABKIT_DATA

    x, y = load_cifar10_split(
        "test", data_dir=tmp_path, labkit_data=LABKIT_DATA, download=False, progress=False
    )
    assert x.shape == (10000, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(y), [1000] * 10)
    # The published per-channel mean of the CIFAR-10 test images, in [0, 1].
    np.testing.assert_allclose(x.reshape(-1, 3).mean(0) / 255, [0.4942, 0.4851, 0.4504], atol=2e-3)
