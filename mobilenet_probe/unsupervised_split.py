"""Question (b): split pooled features into two clusters without labels; the bouba<->kiki axis.

The features of one block are standardised, then k-means (k = 2) splits them; no label is used to
fit anything. The axis runs through the two cluster centres: an image's score is its standardised
feature vector projected on the unit vector from the bouba centre to the kiki centre, measured from
their midpoint, so a positive score lies on the kiki side. Which cluster is called *kiki* is the
one naming step that looks at the reference labels (the cluster holding more of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BoubaKikiAxis:
    """Standardisation and axis fitted on the bouba-kiki features of one block.

    ``mean, scale: (C,)``; ``direction: (C,)`` unit vector from the bouba to the kiki centre;
    ``midpoint: (C,)`` between the centres (standardised units); the kiki centre scores
    ``half_gap``, the bouba centre ``-half_gap``.
    """

    layer: str
    mean: np.ndarray
    scale: np.ndarray
    direction: np.ndarray
    midpoint: np.ndarray
    half_gap: float

    def score(self, features: np.ndarray) -> np.ndarray:
        """``features: (N, C)`` of the same block -> ``(N,)``: > 0 on the kiki side."""
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return (z - self.midpoint) @ self.direction


@dataclass
class SplitResult:
    axis: BoubaKikiAxis
    clusters: np.ndarray  # (N,) 0 = the cluster called bouba, 1 = kiki
    scores: np.ndarray  # (N,) on the axis
    agreement: float  # fraction of images whose cluster equals their reference label


def split_bouba_kiki(
    features: np.ndarray, reference: np.ndarray, layer: str, seed: int = 0
) -> SplitResult:
    """k-means (k = 2) on standardised ``features: (N, C)``; clusters named by ``reference: (N,)``."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    features = np.asarray(features, dtype=np.float64)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature (a dead channel) carries nothing
    z = (features - mean) / scale
    with threadpool_limits(limits=1):  # a 200-point problem: threads only wait for each other
        kmeans = KMeans(n_clusters=2, n_init=10, random_state=seed).fit(z)
    clusters = kmeans.labels_.astype(np.int64)
    centres = kmeans.cluster_centers_
    if np.mean(reference[clusters == 1]) < np.mean(reference[clusters == 0]):
        clusters, centres = 1 - clusters, centres[::-1]  # cluster 1 holds more kiki references
    gap = centres[1] - centres[0]
    distance = float(np.linalg.norm(gap))
    axis = BoubaKikiAxis(
        layer, mean, scale, gap / distance, centres.mean(axis=0), half_gap=distance / 2
    )
    return SplitResult(
        axis=axis,
        clusters=clusters,
        scores=axis.score(features),
        agreement=float(np.mean(clusters == reference)),
    )
