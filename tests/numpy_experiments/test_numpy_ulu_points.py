"""ulu.csv: found in data_dir, then LABKIT_DATA, then downloaded; otherwise one clear DataError."""

import numpy as np
import pytest

from datamodules.ulu_points import ULU_RELATIVE_PATH, load_ulu, locate_ulu, read_ulu_csv
from labkit.errors import DataError
from tests.numpy_experiments.synthetic_points import two_plane_points, write_ulu_csv


@pytest.fixture
def points():
    return two_plane_points(50, np.random.default_rng(0))[0]


def test_reads_points_exactly_as_written(tmp_path, points):
    path = write_ulu_csv(tmp_path / "ulu.csv", points)
    np.testing.assert_array_equal(read_ulu_csv(path), points)


def test_data_dir_is_preferred_over_labkit_data(tmp_path, points):
    write_ulu_csv(tmp_path / "cache" / ULU_RELATIVE_PATH, points)
    write_ulu_csv(tmp_path / "shared" / ULU_RELATIVE_PATH, points[:10])
    assert len(load_ulu(tmp_path / "cache", tmp_path / "shared", download=False)) == 50


def test_falls_back_to_labkit_data(tmp_path, points):
    write_ulu_csv(tmp_path / "shared" / ULU_RELATIVE_PATH, points)
    found = locate_ulu(tmp_path / "cache", tmp_path / "shared", download=False)
    assert found == tmp_path / "shared" / ULU_RELATIVE_PATH


def test_missing_file_offline_names_every_place_looked_and_the_fix(tmp_path, no_network):
    with pytest.raises(DataError) as info:
        load_ulu(tmp_path / "cache", tmp_path / "shared", download=True)
    message = str(info.value)
    assert str(tmp_path / "cache" / ULU_RELATIVE_PATH) in message
    assert str(tmp_path / "shared" / ULU_RELATIVE_PATH) in message
    assert "download from https://" in message and "failed" in message
    assert "LABKIT_DATA" in message
    assert not (tmp_path / "cache" / "iml").exists() or not any(
        (tmp_path / "cache" / "iml").iterdir()
    ), "a failed download left a file behind"


def test_missing_file_without_download_says_download_disabled(tmp_path):
    with pytest.raises(DataError, match="download disabled"):
        load_ulu(tmp_path, None, download=False)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a,b,c\n1,2,3\n", "header is 'a,b,c'"),
        ("x,y,z\n1,2\n", r"got shape \(1, 2\)"),
        ("x,y,z\n1,2,3\n4,5\n", "Cannot read"),
        ("x,y,z\n", "got shape"),
        ("x,y,z\n1,2,nan\n", "NaN"),
    ],
    ids=["wrong-header", "two-columns", "ragged", "no-rows", "nan"],
)
def test_malformed_files_raise_data_error(tmp_path, content, expected):
    path = tmp_path / "ulu.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=expected):
        read_ulu_csv(path)


@pytest.mark.real_data
def test_real_ulu_has_8778_points_in_3d():
    import os

    points = load_ulu("/nonexistent", os.environ["LABKIT_DATA"], download=False)
    assert points.shape == (8778, 3)
