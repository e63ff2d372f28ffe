"""How sure a cross-validated accuracy is, and whether one classifier beats another on the same images.

Both work on what repeated k-fold cross-validation gives per image: every repeat tests every image
exactly once, so ``correct[i]`` (the fraction of repeats in which image ``i`` was classified
correctly) holds all of it, and the accuracy is ``mean(correct)``.

- ``wilson_interval``: a 95% Wilson score interval for an accuracy measured on ``n`` images. ``n``
  is the number of images, not of test predictions: the repeats test the same images again, which
  averages out the training folds' luck but adds no new images. Wilson rather than mean ± t·s/√k
  over the folds: the folds share their training images and, across repeats, their test images,
  so their spread understates the uncertainty (Nadeau & Bengio, 2003) and collapses to zero width
  at 100%; Wilson's interval stays inside [0, 1] and keeps a width there (200/200 -> 0.981 ... 1).
- ``paired_sign_flip_p``: the exact one-sided randomization test of "a is no better than b" on the
  per-image differences ``correct_a - correct_b``. With one repeat it is McNemar's exact test (the
  sign test on the images one gets right and the other wrong), which Dietterich (1998) found keeps
  its false-positive rate where the paired t-test over resampled folds does not. Pairing matters:
  two classifiers tested on the same images err on many of the same ones, so comparing their
  separate intervals (one's lower end above the other's upper end) ignores that correlation.
  Like McNemar's test it is conditional on the trained classifiers: it asks whether the images
  could have fallen either way, not how another training set would have done.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def wilson_interval(accuracy: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """``(low, high)``: the Wilson score interval of a proportion ``accuracy`` of ``n`` trials.

    ``low, high = (p + z²/2n ∓ z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the normal
    quantile of ``(1 + level) / 2``; ``accuracy`` may be a mean over repeats (a fractional count).
    """
    if n < 1:
        raise ValueError(f"an accuracy needs at least one image, got n={n}")
    p = float(accuracy)
    z = NormalDist().inv_cdf((1 + level) / 2)
    centre = p + z * z / (2 * n)
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)))
    scale = 1 + z * z / n
    # At p = 0 (p = 1) the low (high) end is exactly 0 (1); the formula leaves rounding there.
    low = 0.0 if p <= 0 else max(0.0, (centre - half) / scale)
    high = 1.0 if p >= 1 else min(1.0, (centre + half) / scale)
    return low, high


def paired_sign_flip_p(correct_a: np.ndarray, correct_b: np.ndarray, repeats: int) -> float:
    """One-sided p-value that ``a`` is better than ``b`` on the same images by chance alone.

    ``correct_a, correct_b: (N,)`` fractions of ``repeats`` (multiples of ``1 / repeats``). The
    statistic is ``T = sum_i (correct_a[i] - correct_b[i])``; under the null hypothesis each
    image's difference is as likely to have the other sign, and ``p = P(T* >= T)`` over all
    ``2^N`` sign flips, computed exactly (the distribution of ``T*`` by convolution over images).
    1.0 when the two are right on exactly the same images.
    """
    steps = np.rint((np.asarray(correct_a) - np.asarray(correct_b)) * repeats).astype(np.int64)
    magnitudes = np.abs(steps[steps != 0])
    observed = int(steps.sum())
    total = int(magnitudes.sum())
    # probability[k] = P(T* = k - total), in units of 1 / repeats.
    probability = np.zeros(2 * total + 1)
    probability[total] = 1.0
    for m in magnitudes:
        probability = 0.5 * (np.roll(probability, m) + np.roll(probability, -m))
    # np.roll never wraps mass around: after some images it lies within total ± their magnitudes.
    return float(min(1.0, probability[observed + total :].sum()))
