"""(d)'s statistics: Wilson intervals, the exact paired test, and the earliest block better
than the pixels baseline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binom

from mobilenet_probe.accuracy_statistics import paired_sign_flip_p, wilson_interval
from mobilenet_probe.layerwise_probe import compare_with_baseline, earliest_better, probe_layers
from mobilenet_probe.probe_config import BLOCKS


@pytest.mark.parametrize(
    ("accuracy", "n", "low", "high"),
    [(1.0, 200, 0.98116, 1.0), (0.5, 100, 0.40383, 0.59617), (0.0, 40, 0.0, 0.08762)],
)
def test_wilson_interval_matches_the_textbook_values(accuracy, n, low, high):
    assert wilson_interval(accuracy, n) == pytest.approx((low, high), abs=1e-5)


def test_with_one_repeat_the_paired_test_is_the_exact_sign_test():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
        wins, losses = int(np.sum(a > b)), int(np.sum(a < b))
        expected = binom.sf(wins - 1, wins + losses, 0.5)  # P(at least `wins` of the discordant)
        assert paired_sign_flip_p(a, b, repeats=1) == pytest.approx(expected, rel=1e-9)


def test_with_repeats_the_paired_test_equals_counting_every_sign_flip():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 3, 12) / 2, rng.integers(0, 3, 12) / 2  # 2 repeats: 0, 0.5 or 1
    d = a - b
    observed = d.sum()
    flips = [np.dot(signs, d) for signs in itertools.product((-1, 1), repeat=len(d))]
    expected = np.mean(np.array(flips) >= observed - 1e-12)
    assert paired_sign_flip_p(a, b, repeats=2) == pytest.approx(expected, rel=1e-12)
    assert paired_sign_flip_p(a, a, repeats=2) == 1.0


def test_the_earliest_block_better_than_the_baseline_is_where_the_signal_starts():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 40)
    pixels = rng.normal(size=(80, 30))
    pixels[:, 0] += 0.6 * labels  # the baseline reads a little of it
    planted_at = 4
    features = {}
    for i, name in enumerate(BLOCKS):
        x = pixels[:, :8].copy() if i < planted_at else rng.normal(size=(80, 8))
        if i >= planted_at:
            x[:, 3] += 6.0 * labels
        features[name] = x
    baseline, *layers = probe_layers({"pixels": pixels, **features}, labels, repeats=2)
    comparisons = compare_with_baseline(baseline, layers, alpha=0.05)
    earliest = earliest_better(comparisons)
    assert earliest is not None and earliest.layer == f"features.{planted_at}", [
        (c.layer, round(c.gain, 3), c.p_value) for c in comparisons
    ]
    assert not any(c.better for c in comparisons[:planted_at])
    assert all(r.low <= r.mean <= r.high and r.correct.shape == (80,) for r in layers)
    assert all(r.mean == pytest.approx(r.correct.mean()) for r in [baseline, *layers])
