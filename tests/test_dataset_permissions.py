"""A dataset file this user may not read: the message says so and never says to delete it."""

from __future__ import annotations

import errno
import pathlib

import numpy as np
import pytest

from datamodules import bouba_kiki, cifar10_files, idx_files
from datamodules.bouba_kiki import read_bouba_kiki_npz
from datamodules.cifar10_files import load_cifar10_split
from datamodules.idx_files import read_idx
from labkit.errors import DataError
from tests.helpers.cifar_writer import tiny_cifar, write_image_folder, write_pickles
from tests.helpers.idx_writer import write_idx

# Tests run as root, whom chmod does not stop: the refusal is injected where the file is opened.


def _denied(path) -> PermissionError:
    return PermissionError(errno.EACCES, "Permission denied", str(path))


def _assert_says_no_permission(message: str, path) -> None:
    assert f"No permission to read {path} (Permission denied)" in message
    assert "give this user read access to it" in message
    assert "point paths.data_dir or LABKIT_DATA at a copy it can read" in message
    for wrong in ("Delete", "delete " + str(path), "re-fetch", "Remove it", "replace it"):
        assert wrong not in message, f"the message says {wrong!r} about a file that may be fine"


def test_an_unreadable_idx_file_is_a_permission_error_not_a_corrupt_file(tmp_path, monkeypatch):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))

    def refuse(file, mode="r"):
        raise _denied(file)

    monkeypatch.setattr(idx_files, "open", refuse, raising=False)
    with pytest.raises(DataError) as err:
        read_idx(path)
    _assert_says_no_permission(str(err.value), path)


def test_an_unreadable_bouba_kiki_file_is_a_permission_error(tmp_path, monkeypatch):
    path = tmp_path / "bouba_kiki.npz"
    np.savez(path, images=np.zeros((2, 8, 8), np.uint8))

    def refuse(file, **kwargs):
        raise _denied(file)

    monkeypatch.setattr(bouba_kiki.np, "load", refuse)
    with pytest.raises(DataError) as err:
        read_bouba_kiki_npz(path)
    _assert_says_no_permission(str(err.value), path)


def _load_cifar(tmp_path, split="train"):
    return load_cifar10_split(
        split,
        data_dir=tmp_path / "cache",
        labkit_data=tmp_path / "shared",
        download=False,
        progress=False,
    )


def test_an_unreadable_cifar_image_is_a_permission_error(tmp_path, monkeypatch):
    folder = write_image_folder(tmp_path / "shared", "train", *tiny_cifar(10, seed=0))
    locked = folder / "train" / "cat" / "00003.png"
    read_bytes = pathlib.Path.read_bytes

    def refuse_one(path):
        if path == locked:
            raise _denied(path)
        return read_bytes(path)

    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse_one)
    with pytest.raises(DataError) as err:
        _load_cifar(tmp_path)
    _assert_says_no_permission(str(err.value), locked)
    assert "not a readable image" not in str(err.value)


def test_an_unreadable_cifar_batch_file_is_a_permission_error(tmp_path, monkeypatch):
    folder = write_pickles(tmp_path / "shared", "test", *tiny_cifar(10, seed=0))

    def refuse(file, mode="r"):
        raise _denied(file)

    monkeypatch.setattr(cifar10_files, "open", refuse, raising=False)
    with pytest.raises(DataError) as err:
        _load_cifar(tmp_path, "test")
    _assert_says_no_permission(str(err.value), folder / "test_batch")
    assert "cannot be read as a CIFAR-10 batch" not in str(err.value)
