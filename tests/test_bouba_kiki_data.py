"""Bouba-kiki images: the npz reader's messages, the file lookup, the generator and the rule."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from datamodules.bouba_kiki import BOUBA_KIKI_RELATIVE_PATH, load_bouba_kiki, read_bouba_kiki_npz
from datamodules.bouba_kiki_generator import generate_bouba_kiki
from labkit.errors import DataError
from mobilenet_probe.corner_rule import (
    corner_scores,
    reference_labels,
    sharpest_corner_deg,
    threshold_margin,
)


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_an_npz_with_images_and_other_keys_reads_its_images(tmp_path):
    images = np.full((3, 20, 20), 255, np.uint8)
    images[:, 5:10, 5:10] = 0
    path = _save(tmp_path / "x.npz", images=images, labels=np.arange(3))
    np.testing.assert_array_equal(read_bouba_kiki_npz(path), images)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"pictures": np.zeros((2, 8, 8), np.uint8)}, "expected an npz with key 'images'"),
        ({"images": np.zeros((2, 8, 8, 3), np.uint8)}, "expected (N, H, W)"),
        ({"images": np.full((2, 8, 8), 7, np.uint8)}, "expected only 0 (shape) and 255"),
    ],
)
def test_a_bad_npz_is_refused_with_what_was_expected(tmp_path, arrays, message):
    path = _save(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match="bouba_kiki.path") as err:
        read_bouba_kiki_npz(path)
    assert message in str(err.value)


def test_a_file_that_is_not_an_npz_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_text("not a zip")
    with pytest.raises(DataError, match="Cannot read .*bad.npz"):
        read_bouba_kiki_npz(path)


def test_the_course_file_is_found_under_labkit_data_and_a_missing_one_names_every_path(
    tmp_path, no_network
):
    root = tmp_path / "shared"
    (root / "iml").mkdir(parents=True)
    images, _ = generate_bouba_kiki(4, 32, seed=1)
    _save(root / BOUBA_KIKI_RELATIVE_PATH, images=images)
    found, path = load_bouba_kiki(BOUBA_KIKI_RELATIVE_PATH, tmp_path / "cache", root)
    assert path == root / BOUBA_KIKI_RELATIVE_PATH
    np.testing.assert_array_equal(found, images)

    with pytest.raises(DataError) as err:
        load_bouba_kiki(BOUBA_KIKI_RELATIVE_PATH, tmp_path / "cache", tmp_path / "empty")
    text = str(err.value)
    assert str(tmp_path / "cache" / BOUBA_KIKI_RELATIVE_PATH) in text
    assert str(tmp_path / "empty" / BOUBA_KIKI_RELATIVE_PATH) in text
    assert "download from https://" in text and "failed" in text
    assert not (tmp_path / "cache" / "iml").exists(), "a failed download left files behind"

    with pytest.raises(DataError, match="does not exist"):
        load_bouba_kiki(tmp_path / "nowhere.npz", tmp_path / "cache", root)


def test_the_hints_name_the_config_key_paths_data_dir(tmp_path, no_network):
    with pytest.raises(DataError) as missing:
        load_bouba_kiki(tmp_path / "nowhere.npz", tmp_path / "cache")
    assert "a path relative to paths.data_dir or LABKIT_DATA such as iml" in str(missing.value)
    with pytest.raises(DataError) as not_found:
        load_bouba_kiki(BOUBA_KIKI_RELATIVE_PATH, tmp_path / "cache", download=False)
    assert "the course's file is downloaded into paths.data_dir" in str(not_found.value)
    for message in (str(missing.value), str(not_found.value)):
        no_paths = message.replace(str(tmp_path), "")
        assert re.search(r"(?<!paths\.)\bdata_dir\b", no_paths) is None, message


def test_the_generator_is_a_function_of_its_seed_with_half_of_each_kind():
    a_images, a_labels = generate_bouba_kiki(30, 64, seed=3)
    b_images, b_labels = generate_bouba_kiki(30, 64, seed=3)
    c_images, _ = generate_bouba_kiki(30, 64, seed=4)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_images, c_images)
    assert a_images.shape == (30, 64, 64) and a_images.dtype == np.uint8
    assert set(np.unique(a_images)) == {0, 255}
    assert np.bincount(a_labels).tolist() == [15, 15]


def test_the_corner_rule_recovers_the_generators_labels_with_a_clear_margin():
    images, labels = generate_bouba_kiki(80, 100, seed=5)
    scores = corner_scores(images)
    assert np.mean(reference_labels(scores, 60) == labels) == 1.0
    bouba_max, kiki_min = threshold_margin(scores, 60)
    assert bouba_max < 60 < kiki_min


def test_corners_are_sharp_and_discs_round_even_where_two_discs_overlap():
    yy, xx = np.mgrid[:100, :100]
    disc = np.where((yy - 50) ** 2 + (xx - 50) ** 2 < 20**2, 0, 255)
    two_discs = np.where(
        ((yy - 50) ** 2 + (xx - 40) ** 2 < 15**2) | ((yy - 50) ** 2 + (xx - 62) ** 2 < 15**2),
        0,
        255,
    )
    square = np.full((100, 100), 255)
    square[30:70, 30:70] = 0
    assert sharpest_corner_deg(disc) < 30
    # The notch where the discs meet turns sharply, but away from the shape: not a corner.
    assert sharpest_corner_deg(two_discs) < 40
    triangle = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(triangle).polygon([(20, 80), (80, 80), (50, 28)], fill=0)
    # A 90-degree corner measures less once smoothed, but stays above the 60-degree threshold.
    assert sharpest_corner_deg(square) > 60
    assert sharpest_corner_deg(np.asarray(triangle)) > 80
    assert sharpest_corner_deg(np.full((50, 50), 255)) == 0.0
