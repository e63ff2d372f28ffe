"""The reference foreground split and the agreement scores."""

import numpy as np
import pytest

from numpy_experiments.ulu_exercise.foreground_split import (
    auc,
    largest_gap_split,
    split_agreement,
    two_plane_split,
)
from tests.helpers.synthetic_points import two_plane_points


def test_two_plane_split_recovers_the_colour_of_every_point():
    points, foreground = two_plane_points(4000, np.random.default_rng(0))
    split = two_plane_split(points)
    np.testing.assert_array_equal(split.foreground, foreground)
    assert split.separation > 10, f"gap/thickness only {split.separation}"


def test_the_smaller_plane_is_called_foreground():
    points, foreground = two_plane_points(4000, np.random.default_rng(1))
    assert foreground.mean() < 0.5
    assert two_plane_split(points).foreground.sum() == foreground.sum()


def test_largest_gap_split_finds_two_clusters():
    scores = np.array([0.0, 0.1, 0.2, 5.0, 5.1])
    above, gap = largest_gap_split(scores)
    np.testing.assert_array_equal(above, [False, False, False, True, True])
    assert gap == pytest.approx(4.8)


def test_auc_equals_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    scores = rng.integers(0, 5, 300).astype(float)  # many ties
    labels = rng.random(300) < 0.3
    assert auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def test_agreement_is_orientation_free_and_perfect_for_a_clean_score():
    labels = np.array([False] * 6 + [True] * 4)
    scores = np.where(labels, 3.0, 0.0) + np.linspace(0, 0.1, 10)
    for s in (scores, -scores):
        agreement = split_agreement(s, labels)
        assert agreement.auc == 1 and agreement.best_threshold_accuracy == 1
        assert agreement.gap_split_accuracy == 1


def test_agreement_of_a_random_score_is_near_chance():
    rng = np.random.default_rng(3)
    labels = rng.random(4000) < 0.5
    agreement = split_agreement(rng.standard_normal(4000), labels)
    assert agreement.auc < 0.55 and agreement.best_threshold_accuracy < 0.56


@pytest.mark.real_data
def test_real_ulu_splits_into_two_clean_planes_with_a_minority_foreground():
    import os

    from datamodules.ulu_points import load_ulu

    split = two_plane_split(load_ulu("/nonexistent", os.environ["LABKIT_DATA"], download=False))
    assert split.foreground.sum() == 1843
    assert split.separation > 20
