"""ulu.csv: found in data_dir, then LABKIT_DATA, then downloaded; otherwise one clear DataError."""

import numpy as np
import pytest

from datamodules.ulu_points import ULU_RELATIVE_PATH, load_ulu, locate_ulu, read_ulu_csv
from labkit.errors import DataError
from tests.helpers.synthetic_points import two_plane_points, write_ulu_csv


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
        ("x,y,z\n1,2,3\n4,-inf,6\n", r"infinite value at row 2 \(line 3\), column y: -inf"),
        ("x,y,z\n0,0,0\n0,0,1e200\n0,0,0\n", r"1e\+200.*at most 1.34e\+154 .*square"),
    ],
    ids=["wrong-header", "two-columns", "ragged", "no-rows", "nan", "inf", "square-overflows"],
)
def test_malformed_files_raise_data_error(tmp_path, content, expected):
    path = tmp_path / "ulu.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=expected):
        read_ulu_csv(path)


def test_a_1e30_outlier_is_refused_naming_the_file_row_column_value_and_the_limit(tmp_path, points):
    bad = points.copy()
    bad[4, 1] = 1e30
    path = write_ulu_csv(tmp_path / "shared" / ULU_RELATIVE_PATH, bad)
    with pytest.raises(DataError) as info:
        load_ulu(tmp_path / "cache", tmp_path / "shared", download=False)
    message = str(info.value)
    assert str(path) in message
    assert "outlier at row 5 (line 6), column y: 1e+30" in message
    assert f"at most {1e6 * np.median(np.abs(bad)):.3g}" in message, message
    assert "finite values" in message and "1e+06 x the median absolute value" in message


def test_the_row_in_the_message_skips_blank_lines_and_comments_as_the_reader_does(tmp_path):
    path = tmp_path / "ulu.csv"
    path.write_text("x,y,z\n1,2,3\n\n# a comment\n4,5,6\n7,8e12,9\n")
    with pytest.raises(DataError, match=r"row 3 \(line 6\), column y: 8000000000000.0"):
        read_ulu_csv(path)


def test_values_far_from_the_median_but_within_1e6_times_it_are_kept(tmp_path, points):
    wide = points.copy()
    wide[0, 0] = 1e5 * np.median(np.abs(points))  # 5 orders of magnitude: unusual, not broken
    wide[1, 2] = 1e-12  # tiny values are always fine
    np.testing.assert_array_equal(read_ulu_csv(write_ulu_csv(tmp_path / "ulu.csv", wide)), wide)


@pytest.mark.real_data
def test_real_ulu_has_8778_points_in_3d():
    import os

    points = load_ulu("/nonexistent", os.environ["LABKIT_DATA"], download=False)
    assert points.shape == (8778, 3)


def test_a_ulu_csv_this_user_may_not_read_is_not_called_corrupt(tmp_path, monkeypatch):
    path = tmp_path / "ulu.csv"
    path.write_text("x,y,z\n1,2,3\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("datamodules.ulu_points.np.loadtxt", refuse)
    with pytest.raises(DataError, match="No permission to read") as err:
        read_ulu_csv(path)
    assert "re-fetch" not in str(err.value) and "Delete" not in str(err.value)
