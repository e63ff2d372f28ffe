"""Question (d): how well a linear classifier reads bouba/kiki from each block's pooled features,
and which is the earliest block that does reliably better than the same classifier on raw pixels.

Per input (a block's pooled features, or the pixels baseline of ``pixel_baseline``): standardise,
then L2-regularised logistic regression (scikit-learn), scored by stratified k-fold
cross-validation repeated with reshuffled folds, every input on the same folds. Each accuracy gets
a 95% Wilson interval over the images, and each block is compared with the baseline by an exact
paired test on the same images (``accuracy_statistics`` says why these two). A block is *reliably
better* when that test's p-value is below ``alpha / number of blocks`` (Bonferroni: scanning 13
blocks for the earliest that passes is 13 chances to pass by luck, and this keeps the chance
that any named block is a fluke below ``alpha``). No accuracy threshold decides the answer; the
first block reaching one (``earliest_layer_over``) is kept only as a secondary figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mobilenet_probe.accuracy_statistics import paired_sign_flip_p, wilson_interval


@dataclass(frozen=True)
class LayerAccuracy:
    """Cross-validated accuracy of one input (a block, or the pixels baseline).

    ``mean``: the fraction of all test predictions that were right (= the mean of ``correct``);
    ``std``: the standard deviation of the accuracy over the ``folds`` folds (all repeats);
    ``low, high``: its 95% Wilson interval over the N images; ``correct: (N,)`` the fraction of the
    ``repeats`` in which each image was classified correctly.
    """

    layer: str
    dims: int
    mean: float
    std: float
    folds: int
    low: float
    high: float
    repeats: int
    correct: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class BaselineComparison:
    """One block against the baseline on the same images: ``gain`` = its accuracy minus the
    baseline's; ``p_value`` of the one-sided paired test; ``better``: ``p_value`` below the
    Bonferroni level ``alpha / blocks compared``."""

    layer: str
    gain: float
    p_value: float
    better: bool


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

    Every layer is scored on the same folds (``seed`` draws them). Raises ValueError when a class
    has fewer images than ``folds``.
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
            correct = np.zeros(len(labels))
            for train, test in splits:
                mean, std = x[train].mean(axis=0), x[train].std(axis=0)
                std[std == 0] = 1.0  # a dead channel, or a pixel that is background everywhere
                model = LogisticRegression(C=C, max_iter=2000)
                model.fit((x[train] - mean) / std, labels[train])
                right = model.predict((x[test] - mean) / std) == labels[test]
                scores.append(np.mean(right))
                correct[test] += right
            correct /= repeats
            accuracy = float(correct.mean())
            low, high = wilson_interval(accuracy, len(labels))
            results.append(
                LayerAccuracy(
                    layer,
                    x.shape[1],
                    accuracy,
                    float(np.std(scores)),
                    len(scores),
                    low,
                    high,
                    repeats,
                    correct,
                )
            )
    return results


def compare_with_baseline(
    baseline: LayerAccuracy, results: Sequence[LayerAccuracy], alpha: float = 0.05
) -> list[BaselineComparison]:
    """Each of ``results`` against ``baseline`` (scored on the same folds), in order."""
    level = alpha / len(results)
    comparisons = []
    for r in results:
        p = paired_sign_flip_p(r.correct, baseline.correct, r.repeats)
        comparisons.append(BaselineComparison(r.layer, r.mean - baseline.mean, p, p < level))
    return comparisons


def earliest_better(comparisons: Sequence[BaselineComparison]) -> BaselineComparison | None:
    """The first block (in the given order) that is reliably better than the baseline."""
    return next((c for c in comparisons if c.better), None)


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
