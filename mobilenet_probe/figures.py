"""The probe's PNGs: reference labels to check by eye, both sides of the split, CIFAR extremes,
and probe accuracy per block. Each returns the path it wrote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from figures.image_grids import save_image_grid
from figures.style import label_axes, literal, new_figure, save_figure
from mobilenet_probe.layerwise_probe import BaselineComparison, LayerAccuracy

SIDE_COLORS = ("tab:blue", "tab:red")  # bouba, kiki


def reference_grid(
    path: Path,
    images: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    limit: int,
) -> Path:
    """Images sorted by their sharpest corner, captioned with it and coloured by reference label.

    Up to ``limit`` images: all of them when they fit, else the ones nearest the threshold on both
    sides (where a wrong label would hide).
    """
    order = np.argsort(scores)
    if len(order) > limit:
        nearest = np.argsort(np.abs(scores[order] - threshold))[:limit]
        order = order[np.sort(nearest)]
    return save_image_grid(
        path,
        images[order],
        [f"#{i} {scores[i]:.0f}°" for i in order],
        f"Reference labels: sharpest convex corner > {threshold:g}° is kiki (red), else bouba "
        f"(blue); {len(order)} of {len(images)} images, sorted",
        caption_colors=[SIDE_COLORS[labels[i]] for i in order],
        ncols=20 if len(order) > 100 else 10,
        value_range=(0, 255),
    )


def split_examples(
    path: Path,
    images: np.ndarray,
    clusters: np.ndarray,
    scores: np.ndarray,
    reference: np.ndarray,
    per_side: int,
    layer: str,
) -> Path:
    """The ``per_side`` images deepest on each side of the split, then the nearest to its middle.

    Captions give the axis score; red captions mark an image whose cluster differs from its
    reference label.
    """
    bouba = np.flatnonzero(clusters == 0)
    kiki = np.flatnonzero(clusters == 1)
    rows = [
        bouba[np.argsort(scores[bouba])][:per_side],
        kiki[np.argsort(-scores[kiki])][:per_side],
        np.argsort(np.abs(scores))[:per_side],
    ]
    chosen = np.concatenate(rows)
    return save_image_grid(
        path,
        images[chosen],
        [f"{'kiki' if clusters[i] else 'bouba'} {scores[i]:+.1f}" for i in chosen],
        f"k-means on {layer}: most bouba (row 1), most kiki (row 2), nearest the middle (row 3); "
        "red = cluster differs from reference",
        caption_colors=["tab:red" if clusters[i] != reference[i] else "black" for i in chosen],
        ncols=per_side,
        value_range=(0, 255),
    )


def cifar_extremes(
    path: Path,
    images: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    classes: Sequence[str],
    per_row: int,
) -> Path:
    """For each class, its ``per_row`` most bouba images, then its ``per_row`` most kiki ones."""
    chosen, captions = [], []
    for k, name in enumerate(classes):
        members = np.flatnonzero(labels == k)
        ranked = members[np.argsort(scores[members])]
        for side, picks in (("bouba", ranked[:per_row]), ("kiki", ranked[::-1][:per_row])):
            chosen.extend(picks)
            captions.extend(f"{name} {side} {scores[i]:+.1f}" for i in picks)
    images = np.transpose(images[np.array(chosen)], (0, 3, 1, 2))  # (N, 3, 32, 32) for the grid
    return save_image_grid(
        path,
        images,
        captions,
        "CIFAR-10 test images on the bouba<->kiki axis: per class, most bouba row, then most kiki",
        ncols=per_row,
        value_range=(0, 255),
    )


def layer_accuracy_plot(
    path: Path,
    results: Sequence[LayerAccuracy],
    baseline: LayerAccuracy,
    comparisons: Sequence[BaselineComparison],
    folds: str,
) -> Path:
    """Probe accuracy per block with its 95% interval, the pixels baseline as a band.

    Blocks reliably better than the baseline (``comparisons``) are filled, the others hollow; the
    earliest better one is labelled.
    """
    fig = new_figure(max(9.0, 0.6 * len(results) + 5), 4.8)
    ax = fig.add_subplot()
    xs = np.arange(len(results))
    means = np.array([r.mean for r in results])
    errors = np.array([[r.mean - r.low for r in results], [r.high - r.mean for r in results]])
    ax.axhspan(
        baseline.low,
        baseline.high,
        color="tab:gray",
        alpha=0.25,
        label=f"raw pixels ({baseline.dims} inputs): 95% interval",
    )
    ax.axhline(
        baseline.mean, color="tab:gray", linestyle="--", label=f"raw pixels {baseline.mean:.3f}"
    )
    ax.errorbar(xs, means, yerr=errors, fmt="none", ecolor="tab:blue", capsize=4)
    ax.plot(xs, means, color="tab:blue", alpha=0.5)
    better = np.array([c.better for c in comparisons])
    for chosen, face, label in (
        (better, "tab:blue", "better than pixels (paired test)"),
        (~better, "white", "not reliably better"),
    ):
        if chosen.any():
            ax.plot(
                xs[chosen],
                means[chosen],
                "o",
                color="tab:blue",
                markerfacecolor=face,
                label=label,
            )
    if better.any():
        first = int(np.argmax(better))
        ax.annotate(
            f"earliest better: {results[first].layer}",
            (xs[first], results[first].low),
            xytext=(12, -30),
            textcoords="offset points",
            ha="left",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85},
            arrowprops={"arrowstyle": "->"},
        )
    ax.set_xticks(xs, [literal(r.layer) for r in results], rotation=45, ha="right", fontsize=8)
    label_axes(
        ax,
        f"Linear probe (logistic regression, {folds}) per block vs raw pixels",
        "block (pooled features)",
        "accuracy vs reference labels (95% Wilson)",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # off the points
    return save_figure(fig, path)
