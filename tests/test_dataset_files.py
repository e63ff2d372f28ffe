"""resolve_dataset_files: data_dir -> LABKIT_DATA -> download -> one error naming every path."""

from pathlib import Path

import pytest

from datamodules.dataset_files import fetch_to_file, resolve_dataset_files
from labkit.errors import DataError

SPLIT = [("d/raw/images", "d/raw/images.gz"), ("d/raw/labels", "d/raw/labels.gz")]


def _write(path: Path, text: str = "data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _resolve(tmp_path, wanted=SPLIT, download=None, **kw):
    return resolve_dataset_files(
        wanted,
        what="Tiny (train)",
        data_dir=tmp_path / "cache",
        labkit_data=kw.pop("labkit_data", tmp_path / "shared"),
        download=download,
        how_to_get="set LABKIT_DATA to a folder holding d/raw/.",
        **kw,
    )


def test_data_dir_is_preferred_over_labkit_data(tmp_path):
    for root in ("cache", "shared"):
        _write(tmp_path / root / "d/raw/images"), _write(tmp_path / root / "d/raw/labels.gz")
    found = _resolve(tmp_path)
    assert found == (tmp_path / "cache/d/raw/images", tmp_path / "cache/d/raw/labels.gz")


def test_a_set_of_files_comes_whole_from_one_root(tmp_path):
    # The cache holds only the images: the labels must not be paired with another copy's images.
    _write(tmp_path / "cache/d/raw/images")
    _write(tmp_path / "shared/d/raw/images.gz"), _write(tmp_path / "shared/d/raw/labels")
    found = _resolve(tmp_path)
    assert found == (tmp_path / "shared/d/raw/images.gz", tmp_path / "shared/d/raw/labels")


def test_a_folder_counts_only_when_it_holds_something(tmp_path):
    (tmp_path / "cache/cifar-10-batches-py").mkdir(parents=True)
    _write(tmp_path / "shared/cifar-10-batches-py/data_batch_1")
    (found,) = _resolve(tmp_path, ["cifar-10-batches-py"])
    assert found == tmp_path / "shared/cifar-10-batches-py"


def test_download_lands_in_data_dir_only_when_nothing_is_found(tmp_path):
    calls = []

    def download(folder: Path) -> None:
        calls.append(folder)
        _write(folder / "iml/ulu.csv")

    (found,) = _resolve(tmp_path, ["iml/ulu.csv"], download)
    assert found == tmp_path / "cache/iml/ulu.csv" and found.read_text() == "data"
    # The download ran in a staging folder beside the files, gone once they were renamed in.
    assert len(calls) == 1 and calls[0].parent == tmp_path / "cache" and not calls[0].exists()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["iml"]
    _resolve(tmp_path, ["iml/ulu.csv"], download)
    assert len(calls) == 1, "downloaded again although the file was in data_dir"


def test_failed_download_leaves_nothing_and_the_error_names_every_path_and_the_fix(tmp_path):
    def download(data_dir: Path) -> None:
        _write(data_dir / "d/raw/images")  # half of the split, then the connection drops
        raise OSError("connection reset")

    with pytest.raises(DataError) as info:
        _resolve(tmp_path, download=download, download_source="https://example.org")
    message = str(info.value)
    for root in ("cache", "shared"):
        for name in ("images", "labels"):
            assert f"{tmp_path / root / 'd/raw' / name}[.gz]" in message
    assert "Tiny (train) not found" in message
    assert "download from https://example.org failed: connection reset" in message
    assert "Fix: set LABKIT_DATA to a folder holding d/raw/." in message
    assert not (tmp_path / "cache/d").exists(), "a failed download left files in the cache"


def test_failed_download_into_a_shared_folder_keeps_what_was_there(tmp_path):
    kept = _write(tmp_path / "cache/iml/bouba_kiki.npz")

    def download(data_dir: Path) -> None:
        _write(data_dir / "iml/new/part")
        raise OSError("offline")

    with pytest.raises(DataError, match="download failed: offline"):
        _resolve(tmp_path, ["iml/ulu.csv"], download)
    assert sorted((tmp_path / "cache/iml").rglob("*")) == [kept]


def test_download_disabled_says_so_and_names_the_paths(tmp_path):
    with pytest.raises(DataError, match=r"(?s)cache/iml/ulu\.csv.*download disabled"):
        _resolve(tmp_path, ["iml/ulu.csv"], labkit_data=None)


def test_download_that_produces_other_files_is_reported(tmp_path):
    def download(data_dir: Path) -> None:
        _write(data_dir / "iml/other.csv")

    with pytest.raises(DataError, match="download finished but did not produce these files"):
        _resolve(tmp_path, ["iml/ulu.csv"], download)


def test_fetch_to_file_renames_only_a_checked_file(tmp_path):
    target = tmp_path / "iml" / "ulu.csv"

    def reject(path: Path) -> None:
        raise DataError(f"{path} is not a CSV")

    with pytest.raises(DataError, match="not a CSV"):
        fetch_to_file(target, lambda f: f.write(b"<html>"), check=reject)
    assert list((tmp_path / "iml").iterdir()) == [], "a rejected download left a file"
    fetch_to_file(target, lambda f: f.write(b"x,y,z\n"), check=Path.read_text)
    assert target.read_text() == "x,y,z\n" and list(target.parent.iterdir()) == [target]
