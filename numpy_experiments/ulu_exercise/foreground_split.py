"""A reference foreground/background split of the ulu point cloud, derived from its geometry.

Why this split is the right reference. The points are a linear image of (x, y, colour):
``p = A [x, y, c]ᵀ + b`` with ``c ∈ {0, 1}`` (background / foreground) and ``A`` invertible.
For fixed ``c`` the points fill a plane ``{A [x, y, c]ᵀ + b}``; the two colours give two *parallel*
planes, offset by ``A e_c``. The common normal ``n`` of both planes (``nᵀ A e_x = nᵀ A e_y = 0``)
satisfies ``nᵀ p = nᵀ b + c · nᵀ A e_c``: along ``n`` every point sits at one of two values, one
per colour, whatever its (x, y). So the colour is recovered by (1) finding ``n``, (2) splitting
``nᵀ p`` at the gap between its two values. No label is used, only the two-plane structure.

How ``n`` is found. Start from the least-variance principal direction (the colour offset is
the only structure across the planes, so it shows there as two clusters), split at the largest
gap, then set ``n`` to the least-variance direction of the *pooled within-cluster* covariance
(each cluster is a flat plane, so its thickness along ``n`` is ~0) and re-split; repeat until the
split is stable. The result is checked, not assumed: ``gap / thickness`` must be large (on the
real file the planes are 1.0 apart and ±0.02 thick).

Which side is the foreground: the smaller cluster (a logo's strokes cover less of the frame than
the background does). The plot of the in-plane coordinates coloured by this split shows the logo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaneSplit:
    """Two parallel planes fitted to ``points: (N, 3)``.

    ``foreground``: ``(N,) bool``, True for the smaller plane. ``normal``: unit ``(3,)``.
    ``gap``: distance between the two clusters along ``normal`` (closest points).
    ``thickness``: the largest distance of a point from its own plane along ``normal``.
    ``in_plane``: ``(N, 2)`` coordinates along the two within-plane principal directions (for
    drawing the logo).
    """

    foreground: np.ndarray
    normal: np.ndarray
    gap: float
    thickness: float
    in_plane: np.ndarray

    @property
    def separation(self) -> float:
        """``gap / thickness``: large means two clean planes, i.e. an unambiguous split."""
        return self.gap / max(self.thickness, np.finfo(float).tiny)


def largest_gap_split(scores: np.ndarray) -> tuple[np.ndarray, float]:
    """Split 1-D ``scores: (N,)`` at the widest gap between consecutive sorted values.

    Returns ``(above, gap)``: ``above`` is ``(N,) bool`` (True right of the gap), ``gap`` its width.
    For two well separated clusters this is the label-free two-cluster split.
    """
    if len(scores) < 2:
        raise ValueError(f"need at least 2 scores to split, got {len(scores)}")
    ordered = np.sort(scores)
    gaps = np.diff(ordered)
    i = int(np.argmax(gaps))
    threshold = (ordered[i] + ordered[i + 1]) / 2
    return scores > threshold, float(gaps[i])


def _least_variance_direction(covariance: np.ndarray) -> np.ndarray:
    _, vectors = np.linalg.eigh(covariance)
    return vectors[:, 0]


def _pooled_within_covariance(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    covariance = np.zeros((points.shape[1], points.shape[1]))
    for side in (False, True):
        cluster = points[labels == side]
        centred = cluster - cluster.mean(axis=0)
        covariance += centred.T @ centred
    return covariance / len(points)


def two_plane_split(points: np.ndarray, max_iterations: int = 20) -> PlaneSplit:
    """Fit two parallel planes to ``points: (N, 3)`` and split the points between them."""
    centred = points - points.mean(axis=0)
    normal = _least_variance_direction(centred.T @ centred / len(points))
    labels, _ = largest_gap_split(centred @ normal)
    for _ in range(max_iterations):
        if labels.all() or not labels.any():
            raise ValueError("the points do not fall into two parallel planes (one side is empty)")
        normal = _least_variance_direction(_pooled_within_covariance(points, labels))
        new_labels, _ = largest_gap_split(centred @ normal)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    foreground = labels if labels.sum() <= len(labels) / 2 else ~labels
    scores = centred @ normal
    offsets = np.where(
        foreground, scores - scores[foreground].mean(), scores - scores[~foreground].mean()
    )
    gap = float(
        min(
            abs(scores[foreground].min() - scores[~foreground].max()),
            abs(scores[~foreground].min() - scores[foreground].max()),
        )
    )
    within = _pooled_within_covariance(points, labels)
    _, vectors = np.linalg.eigh(within)
    in_plane = centred @ vectors[:, [2, 1]]  # the two directions along which the planes extend
    return PlaneSplit(foreground, normal, gap, float(np.abs(offsets).max()), in_plane)


def auc(scores: np.ndarray, positives: np.ndarray) -> float:
    """Area under the ROC curve of ``scores: (N,)`` for ``positives: (N,) bool`` (Mann–Whitney).

    ``P(score of a random positive > score of a random negative)``, ties counting ½; computed from
    the ranks of the scores (average ranks for ties), in ``O(N log N)``.
    """
    positives = np.asarray(positives, dtype=bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    # average rank over each run of tied scores
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2  # 1-based mean of start+1 .. end
    rank_sum = ranks[positives].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass(frozen=True)
class SplitAgreement:
    """How well a 1-D score separates a reference split (the score's sign is arbitrary).

    ``auc``: ``max(AUC, 1 - AUC)``. ``best_threshold_accuracy``: the best accuracy of any single
    threshold (uses the labels: an upper bound). ``gap_split_accuracy``: the accuracy of the
    label-free largest-gap split of the score (what a user without labels would get).
    """

    auc: float
    best_threshold_accuracy: float
    gap_split_accuracy: float


def split_agreement(scores: np.ndarray, reference: np.ndarray) -> SplitAgreement:
    """Compare ``scores: (N,)`` with the boolean ``reference: (N,)``, orientation-free."""
    reference = np.asarray(reference, dtype=bool)
    area = auc(scores, reference)
    order = np.argsort(scores, kind="mergesort")
    sorted_reference = reference[order]
    # threshold after position i: predicted negative for the first i, positive for the rest
    negatives_below = np.concatenate([[0], np.cumsum(~sorted_reference)])
    positives_above = reference.sum() - np.concatenate([[0], np.cumsum(sorted_reference)])
    correct = negatives_below + positives_above
    best = max(correct.max(), (len(scores) - correct).max()) / len(scores)
    above, _ = largest_gap_split(scores)
    gap_accuracy = float(np.mean(above == reference))
    return SplitAgreement(max(area, 1 - area), float(best), max(gap_accuracy, 1 - gap_accuracy))
