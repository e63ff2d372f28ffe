"""Files under data_dir: written whole or not at all, orphans swept, a failed write one message."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import labkit.atomic_files as atomic_files
from datamodules import multimnist_samples
from datamodules.cifar10_files import CACHE_DIR, load_cifar10_split
from datamodules.dataset_files import fetch_to_file, resolve_dataset_files
from datamodules.multimnist import MultiMNISTDataModule
from labkit.atomic_files import WriteError
from labkit.entry import run_or_explain
from labkit.errors import DataError
from tests.helpers.cifar_writer import tiny_cifar, write_image_folder

SAMPLES = 20


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def _source(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), rng.integers(0, 10, 30)


def _multimnist(tmp_path, seed=0):
    """Build (or read) a MultiMNIST cache under tmp_path/cache; returns its path."""
    multimnist_samples.load_or_build(tmp_path / "cache", "train", *_source(), SAMPLES, seed)
    return multimnist_samples.cache_path(tmp_path / "cache", "train")


def _cifar(tmp_path, seed=0):
    """Decode a tiny CIFAR-10 image folder into its cache under tmp_path/cache; returns its path."""
    folder = tmp_path / "shared" / "cifar10" / "train"
    if seed:  # another source image: the cache is stale and must be written again
        image = np.full((32, 32, 3), seed, np.uint8)
        Image.fromarray(image).save(folder / "airplane" / f"new{seed}.png")
    else:
        write_image_folder(tmp_path / "shared", "train", *tiny_cifar(10, seed=0))
    load_cifar10_split(
        "train",
        data_dir=tmp_path / "cache",
        labkit_data=tmp_path / "shared",
        download=False,
        progress=False,
    )
    return tmp_path / "cache" / CACHE_DIR / "train.npz"


CACHES = [pytest.param(_multimnist, id="MultiMNIST"), pytest.param(_cifar, id="CIFAR-10")]


@pytest.mark.parametrize("build", CACHES)
def test_part_files_of_a_killed_cache_build_are_gone_after_the_next_load(tmp_path, build):
    cache = build(tmp_path)
    folder = cache.parent
    dead = folder / f"{cache.name}.{_dead_pid()}.part"  # atomic_files' name: <name>.<pid>.part
    old_style = folder / f".{cache.name}.k3xq9z_w.part"  # the mkstemp writer's, before it
    live = folder / f"{cache.name}.{os.getpid()}.part"  # a writer still at work
    for part in (dead, old_style, live):
        part.write_bytes(b"PK\x03\x04 half of an npz")
    build(tmp_path)
    assert not dead.exists() and not old_style.exists()
    assert live.exists(), "the part file of a running process was removed"
    assert sorted(p.name for p in folder.iterdir()) == sorted([cache.name, live.name])


@pytest.mark.parametrize("build", CACHES)
def test_a_full_disk_keeps_the_previous_cache_and_names_the_path(tmp_path, monkeypatch, build):
    cache = build(tmp_path)
    before = cache.read_bytes()

    def disk_full(file, **arrays):
        file.write(b"PK\x03\x04 the first bytes of an npz")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(WriteError) as err:
        build(tmp_path, seed=5)
    message = str(err.value)
    assert f"Could not write {cache}: No space left on device (" in message
    assert " free on that filesystem)" in message
    assert "set paths.data_dir=<a writable folder>" in message
    assert cache.read_bytes() == before, "the previous cache was damaged"
    assert [p.name for p in cache.parent.iterdir()] == [cache.name], "a part file was left"


def _module(tmp_path, tiny_data_root) -> MultiMNISTDataModule:
    return MultiMNISTDataModule(
        data_dir=str(tmp_path / "cache"),
        labkit_data=str(tiny_data_root),
        batch_size=16,
        eval_batch_size=50,
        val_size=40,
        split_seed=1,
        shuffle_seed=0,
        download=False,
        train_samples=200,
        test_samples=60,
    )


def _refuse_writes(monkeypatch, err_no: int) -> None:
    """Every file that atomic_files opens fails as on a read-only or someone else's folder."""

    def refuse(path, *args, **kwargs):
        raise OSError(err_no, os.strerror(err_no), str(path))

    monkeypatch.setattr(atomic_files, "open", refuse, raising=False)


@pytest.mark.parametrize(
    ("err_no", "says"),
    [
        (errno.EROFS, "MultiMNIST is on a read-only filesystem"),
        (errno.EACCES, "No permission to write"),
    ],
    ids=["read-only", "no-permission"],
)
def test_an_unwritable_data_dir_ends_in_one_message_naming_it_and_the_config_key(
    tmp_path, tiny_data_root, monkeypatch, capsys, err_no, says
):
    _refuse_writes(monkeypatch, err_no)
    folder = tmp_path / "cache" / "MultiMNIST"
    dm = _module(tmp_path, tiny_data_root)
    dm.start_loading()
    assert dm._loading is not None, "the load did not run in the background"
    with pytest.raises(WriteError) as err:  # the background thread's error, as it was raised
        dm.setup()
    message = str(err.value)
    assert says in message and str(folder / "train.npz") in message
    assert "set paths.data_dir=<a writable folder>" in message

    # What the user sees: one line and exit status 2, no traceback.
    with pytest.raises(SystemExit) as exit_info:
        run_or_explain(_module(tmp_path, tiny_data_root).setup)
    assert exit_info.value.code == 2
    shown = capsys.readouterr().err
    assert "error:" in shown and "paths.data_dir=<a writable folder>" in shown
    assert "Traceback" not in shown


def _resolve(tmp_path, download, wanted: str = "d/raw/images"):
    return resolve_dataset_files(
        [wanted],
        what="Tiny (train)",
        data_dir=tmp_path / "cache",
        labkit_data=None,
        download=download,
        how_to_get=f"set LABKIT_DATA to a folder holding {wanted}.",
    )


def test_a_download_into_an_unwritable_data_dir_says_so_not_that_the_files_are_missing(tmp_path):
    def download(folder: Path) -> None:  # torchvision opening its file in a read-only folder
        target = folder / "d" / "raw" / "images"
        raise PermissionError(errno.EACCES, "Permission denied", str(target))

    with pytest.raises(WriteError) as err:
        _resolve(tmp_path, download)
    message = str(err.value)
    assert message.startswith("No permission to write ") and "not found" not in message
    assert "set paths.data_dir=<a writable folder>" in message
    assert list((tmp_path / "cache").iterdir()) == [], "the staging folder was left behind"


def test_a_download_killed_half_way_leaves_no_file_under_its_final_name(tmp_path):
    # What a kill mid-download leaves: a staging folder of a dead process, nothing in place.
    orphan = tmp_path / "cache" / f".download.{_dead_pid()}.part"
    (orphan / "d" / "raw").mkdir(parents=True)
    (orphan / "d" / "raw" / "images").write_bytes(b"half of the")
    with pytest.raises(DataError, match="not found"):
        _resolve(tmp_path, None)  # the half-written file is not taken for the data

    def download(folder: Path) -> None:
        (folder / "d" / "raw").mkdir(parents=True)
        (folder / "d" / "raw" / "images").write_bytes(b"all of the images")

    (found,) = _resolve(tmp_path, download)
    assert found.read_bytes() == b"all of the images"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["d"], "orphan not removed"


def test_fetch_to_file_sweeps_part_files_of_dead_processes_and_leaves_none_of_its_own(tmp_path):
    target = tmp_path / "iml" / "ulu.csv"
    target.parent.mkdir()
    orphan = target.with_name(f"{target.name}.{_dead_pid()}.part")
    orphan.write_text("x,y")
    fetch_to_file(target, lambda f: f.write(b"x,y,z\n"))
    assert target.read_text() == "x,y,z\n" and list(target.parent.iterdir()) == [target]


def test_a_download_into_a_folder_of_other_datasets_adds_its_file_and_keeps_theirs(tmp_path):
    kept = tmp_path / "cache" / "iml" / "bouba_kiki.npz"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the course's images")

    def download(folder: Path) -> None:
        fetch_to_file(folder / "iml" / "ulu.csv", lambda f: f.write(b"x,y,z\n"))

    (found,) = _resolve(tmp_path, download, "iml/ulu.csv")
    assert found.read_bytes() == b"x,y,z\n" and kept.read_bytes() == b"the course's images"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["bouba_kiki.npz", "ulu.csv"]
