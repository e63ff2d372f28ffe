"""Question (d): how well a linear classifier reads bouba/kiki from each block's pooled features.

Per block: standardise, then L2-regularised logistic regression (scikit-learn), scored by
stratified k-fold cross-validation repeated with reshuffled folds; the error bar is the standard
deviation of the accuracy over all folds. The earliest block whose mean accuracy reaches the stated
threshold is the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerAccuracy:
    layer: str
    dims: int
    mean: float
    std: float
    folds: int


def probe_layers(
    features: Mapping[str, np.ndarray],
    labels: np.ndarray,
    *,
    folds: int = 5,
    repeats: int = 2,
    C: float = 1.0,
    seed: int = 0,
) -> list[LayerAccuracy]:
    """Cross-validated accuracy of logistic regression on each ``{layer: (N, C_layer)}``, in order.

    Every layer is scored on the same folds. Raises ValueError when a class has fewer images than
    ``folds``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold
    from threadpoolctl import threadpool_limits

    labels = np.asarray(labels)
    smallest = int(np.bincount(labels, minlength=2).min())
    if smallest < folds:
        raise ValueError(
            f"{folds}-fold cross-validation needs {folds} images of each class, "
            f"the smaller class has {smallest}"
        )
    splits = list(
        RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed).split(
            labels, labels
        )
    )
    results = []
    # One BLAS thread: each fit is tiny, and with more threads they mostly wait for each other.
    # The loop is written out (not cross_val_score with a Pipeline), which halved its time.
    with threadpool_limits(limits=1):
        for layer, x in features.items():
            x = np.asarray(x, dtype=np.float64)
            scores = []
            for train, test in splits:
                mean, std = x[train].mean(axis=0), x[train].std(axis=0)
                std[std == 0] = 1.0  # a dead channel
                model = LogisticRegression(C=C, max_iter=2000)
                model.fit((x[train] - mean) / std, labels[train])
                predicted = model.predict((x[test] - mean) / std)
                scores.append(np.mean(predicted == labels[test]))
            results.append(
                LayerAccuracy(
                    layer, x.shape[1], float(np.mean(scores)), float(np.std(scores)), len(scores)
                )
            )
    return results


def probe_scores(
    features: np.ndarray, labels: np.ndarray, others: np.ndarray, C: float = 1.0
) -> np.ndarray:
    """Fit the probe on all ``features: (N, C)`` and score ``others: (M, C)`` (> 0: class 1).

    The logistic regression's decision function (log-odds) on the standardisation of
    ``features``: a supervised bouba<->kiki axis, to cross-check the unsupervised one.
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    x = np.asarray(features, dtype=np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=C, max_iter=2000).fit((x - mean) / std, labels)
        return model.decision_function((np.asarray(others, dtype=np.float64) - mean) / std)


def earliest_layer_over(results: list[LayerAccuracy], threshold: float) -> LayerAccuracy | None:
    """The first layer (in the given order) whose mean accuracy is at least ``threshold``."""
    return next((r for r in results if r.mean >= threshold), None)
