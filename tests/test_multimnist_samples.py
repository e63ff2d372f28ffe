"""MultiMNIST samples: placement and the max rule, seeded pairs, split sources, the npz cache."""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

import datamodules.multimnist_samples as mm
from datamodules.multimnist_samples import (
    cache_path,
    draw_pairs,
    generate,
    load_or_build,
    make_new_sample,
)
from labkit.atomic_files import WriteError


def _source(n: int, low: int, high: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random 28x28 uint8 'digits' with pixels in [low, high) and labels 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(low, high, size=(n, 28, 28), dtype=np.uint8)
    return images, rng.integers(0, 10, size=n).astype(np.int64)


def test_first_digit_top_left_second_bottom_right_max_on_overlap():
    x1 = np.zeros((28, 28), np.uint8)
    x2 = np.zeros((28, 28), np.uint8)
    x1[0, 0], x1[27, 27], x1[10, 10], x1[20, 20] = 11, 12, 200, 30
    x2[0, 0], x2[27, 27], x2[2, 2], x2[12, 12], x2[19, 19] = 21, 22, 50, 90, 5
    sample = make_new_sample(x1, x2)
    assert sample.shape == (36, 36) and sample.dtype == np.uint8
    assert sample[0, 0] == 11 and sample[8, 8] == 21  # x2 starts 8 pixels right and down
    assert sample[35, 35] == 22  # x2's far corner is the sample's
    # Overlaps (x2[a, b] lands on sample[a + 8, b + 8]): the larger pixel wins either way.
    assert sample[10, 10] == 200  # x1 200 over x2 50
    assert sample[20, 20] == 90  # x1 30 under x2 90
    assert sample[27, 27] == 12  # x1 12 over x2 5
    expected_nonzero = {(0, 0), (8, 8), (35, 35), (10, 10), (20, 20), (27, 27)}
    assert set(zip(*np.nonzero(sample), strict=True)) == expected_nonzero


def test_only_the_two_corner_squares_are_painted():
    full = np.full((28, 28), 255, np.uint8)
    sample = make_new_sample(full, full)
    assert not sample[:8, 28:].any() and not sample[28:, :8].any()
    assert sample.sum() == 255 * (36 * 36 - 2 * 8 * 8)


@pytest.mark.parametrize(
    ("x1", "message"),
    [
        (np.zeros((28, 27), np.uint8), r"x1 must be a \(28, 28\) uint8 array.*shape \(28, 27\)"),
        (np.zeros((28, 28), np.float32), r"x1 must be a \(28, 28\) uint8 array.*dtype float32"),
        (np.zeros((1, 28, 28), np.uint8), r"shape \(1, 28, 28\)"),
        ([[0] * 28] * 28, r"got list"),
    ],
)
def test_make_new_sample_rejects_wrong_shape_or_dtype(x1, message):
    with pytest.raises(ValueError, match=message):
        make_new_sample(x1, np.zeros((28, 28), np.uint8))


def test_generated_samples_equal_make_new_sample_of_the_drawn_pairs():
    images, labels = _source(50, 0, 256, seed=0)
    x, y = generate(images, labels, 200, seed=3)
    first, second = draw_pairs(len(images), 200, seed=3)
    assert x.shape == (200, 36, 36) and x.dtype == np.uint8
    assert y.shape == (200, 2) and y.dtype == np.int64
    for k in range(200):
        np.testing.assert_array_equal(x[k], make_new_sample(images[first[k]], images[second[k]]))
    np.testing.assert_array_equal(y, np.stack([labels[first], labels[second]], axis=1))


def test_pairs_never_repeat_an_image_and_cover_the_source():
    first, second = draw_pairs(5, 20000, seed=0)
    assert (first != second).all()
    # Each ordered pair of distinct images is equally likely: 20 pairs, about 1000 each.
    counts = np.bincount(first * 5 + second, minlength=25).reshape(5, 5)
    assert (np.diag(counts) == 0).all()
    off_diagonal = counts[~np.eye(5, dtype=bool)]
    assert off_diagonal.min() > 850 and off_diagonal.max() < 1150, counts


def test_same_seed_same_samples_other_seed_other_samples():
    images, labels = _source(100, 0, 256, seed=0)
    x_a, y_a = generate(images, labels, 300, seed=7)
    x_b, y_b = generate(images, labels, 300, seed=7)
    x_c, _ = generate(images, labels, 300, seed=8)
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert (x_a != x_c).any()


def test_each_split_draws_only_from_its_own_source(tmp_path):
    # Train pixels in [1, 100), test pixels in [150, 256): a single pixel tells the source apart.
    train = _source(60, 1, 100, seed=0)
    test = _source(40, 150, 256, seed=1)
    x_train, _ = load_or_build(tmp_path, "train", *train, n_samples=500, seed=0)
    x_test, _ = load_or_build(tmp_path, "test", *test, n_samples=200, seed=0)
    painted_train = x_train[:, :28, :28]  # every pixel there comes from a source image
    painted_test = x_test[:, :28, :28]
    assert painted_train.min() >= 1 and painted_train.max() < 100
    assert painted_test.min() >= 150


def test_default_sizes_are_the_seeds(tmp_path):
    images, labels = _source(30, 0, 256, seed=0)
    x, y = load_or_build(tmp_path, "test", images, labels, seed=0)
    assert x.shape == (10000, 36, 36) and y.shape == (10000, 2)


def test_cache_is_reused_when_seed_and_source_match(tmp_path, monkeypatch):
    images, labels = _source(30, 0, 256, seed=0)
    x_built, y_built = load_or_build(tmp_path, "train", images, labels, n_samples=50, seed=1)
    monkeypatch.setattr(mm, "generate", lambda *a, **k: pytest.fail("rebuilt a matching cache"))
    x_read, y_read = load_or_build(tmp_path, "train", images, labels, n_samples=50, seed=1)
    np.testing.assert_array_equal(x_read, x_built)
    np.testing.assert_array_equal(y_read, y_built)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"seed": 2}, "seed 1 -> 2"),
        ({"n_samples": 60}, "n_samples 50 -> 60"),
        ({"source": 1}, "source_sha256"),
    ],
)
def test_cache_from_another_seed_size_or_source_is_rebuilt_and_says_why(
    tmp_path, caplog, change, reason
):
    images, labels = _source(30, 0, 256, seed=0)
    load_or_build(tmp_path, "train", images, labels, n_samples=50, seed=1)
    args = {"seed": 1, "n_samples": 50}
    args.update({k: v for k, v in change.items() if k != "source"})
    if "source" in change:
        images = images.copy()
        images[0, 0, 0] ^= 1  # one pixel of one source image differs
    with caplog.at_level(logging.INFO, logger=mm.__name__):
        x, y = load_or_build(tmp_path, "train", images, labels, **args)
    assert reason in caplog.text
    expected_x, expected_y = generate(images, labels, args["n_samples"], args["seed"])
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    # The rebuilt cache holds the new fingerprint.
    with np.load(cache_path(tmp_path, "train")) as f:
        assert json.loads(str(f["fingerprint"]))["seed"] == args["seed"]


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _not_a_zip(path):
    path.write_bytes(b"not a zip file")


def _without_fingerprint(path):
    with open(path, "wb") as f:
        np.savez(f, x=np.zeros(3))


def _fingerprint_not_a_mapping(path):
    with open(path, "wb") as f:
        x, y = np.zeros((40, 36, 36), np.uint8), np.zeros((40, 2), np.int64)
        np.savez(f, x=x, y=y, fingerprint=np.array("[1, 2]"))


@pytest.mark.parametrize(
    "damage", [_truncate, _not_a_zip, _without_fingerprint, _fingerprint_not_a_mapping]
)
def test_corrupt_cache_is_rebuilt(tmp_path, caplog, damage):
    images, labels = _source(30, 0, 256, seed=0)
    expected = load_or_build(tmp_path, "test", images, labels, n_samples=40, seed=0)
    path = cache_path(tmp_path, "test")
    damage(path)
    with caplog.at_level(logging.INFO, logger=mm.__name__):
        x, y = load_or_build(tmp_path, "test", images, labels, n_samples=40, seed=0)
    assert "Building MultiMNIST test" in caplog.text
    np.testing.assert_array_equal(x, expected[0])
    np.testing.assert_array_equal(y, expected[1])
    with np.load(path) as f:  # and the file on disk is whole again
        np.testing.assert_array_equal(f["x"], expected[0])


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_broken_cache(tmp_path, monkeypatch):
    images, labels = _source(30, 0, 256, seed=0)
    load_or_build(tmp_path, "train", images, labels, n_samples=20, seed=0)
    before = cache_path(tmp_path, "train").read_bytes()

    def fail_midway(file, **arrays):
        file.write(b"PK\x03\x04 half of an npz")
        raise OSError("disk full")

    monkeypatch.setattr(mm.np, "savez", fail_midway)
    with pytest.raises(WriteError, match="disk full"):
        load_or_build(tmp_path, "train", images, labels, n_samples=20, seed=5)
    assert os.listdir(cache_path(tmp_path, "train").parent) == ["train.npz"]
    assert cache_path(tmp_path, "train").read_bytes() == before  # the old cache is untouched


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((5, 28, 28), np.float32), np.zeros(5, np.int64), r"\(N, 28, 28\) uint8.*float32"),
        (np.zeros((5, 36, 36), np.uint8), np.zeros(5, np.int64), r"shape \(5, 36, 36\)"),
        (np.zeros((5, 28, 28), np.uint8), np.zeros(4, np.int64), r"labels must be \(5,\) integers"),
        (np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.float64), r"dtype float64"),
        (np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.int64), r"at least 2 source images"),
    ],
)
def test_generate_rejects_bad_sources(images, labels, message):
    with pytest.raises(ValueError, match=message):
        generate(images, labels, 10, seed=0)


def test_unknown_split_and_bad_sample_count_are_rejected(tmp_path):
    images, labels = _source(5, 0, 256, seed=0)
    with pytest.raises(ValueError, match=r"Unknown MultiMNIST split 'val'"):
        load_or_build(tmp_path, "val", images, labels, n_samples=3, seed=0)
    with pytest.raises(ValueError, match=r"n_samples must be a non-negative integer, got -1"):
        generate(images, labels, -1, seed=0)
