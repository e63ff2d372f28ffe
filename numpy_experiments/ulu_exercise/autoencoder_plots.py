"""PNG plots of the linear-autoencoder exercise on ``ulu.csv``, drawn in the one figure style.

Every figure comes from ``figures.style`` (constrained layout: titled, both axes labelled,
nothing clipped) and is written whole through ``save_figure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from figures.style import integer_ticks_if_whole, label_axes, new_figure, plot_line, save_figure
from numpy_experiments.ulu_exercise.identity_fit_sweep import LrRun

# Beside the axes, not on them: a legend inside would hide curves or points.
OUTSIDE_RIGHT = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}


def save_lr_sweep_curves(runs: Sequence[LrRun], path: Path, max_stable_lr: float) -> Path:
    """Loss per GD step for every lr (log scale); diverging runs are drawn dashed until they blow up."""
    fig = new_figure(9, 5)
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 1, len(runs)))
    steps: list[int] = []
    for run, colour in zip(runs, colours, strict=True):
        losses = np.asarray(run.losses, dtype=float)
        style = "--" if run.lr >= max_stable_lr else "-"
        plot_line(ax, np.arange(len(losses)), losses, style, color=colour, label=f"lr={run.lr:.2e}")
        steps += range(len(losses))
    label_axes(
        ax,
        f"Linear(3,3) on raw ulu data: full-batch GD (divergence above lr={max_stable_lr:.3g})",
        "GD step",
        "reconstruction loss (mean squared distance)",
    )
    ax.set_yscale("log")
    integer_ticks_if_whole(ax, steps)
    ax.legend(fontsize=7, title="dashed: lr ≥ 2/h_max", title_fontsize=7, **OUTSIDE_RIGHT)
    return save_figure(fig, path)


def save_lr_sweep_final(
    runs: Sequence[LrRun], path: Path, max_stable_lr: float, steps: int
) -> Path:
    """Final loss against lr (log-log), measured and closed-form, with the stability limit marked."""
    fig = new_figure(7, 4.5)
    ax = fig.add_subplot()
    stable = [r for r in runs if not r.diverged]
    plot_line(
        ax, [r.lr for r in stable], [r.final_loss for r in stable], "-", label="GD (numpy_ref)"
    )
    finite = [
        r for r in runs if np.isfinite(r.predicted_final_loss) and r.predicted_final_loss < 1e12
    ]
    ax.plot(
        [r.lr for r in finite],
        [r.predicted_final_loss for r in finite],
        "x",
        label="closed form (I - 2ηM)^t",
    )
    ax.axvline(max_stable_lr, color="red", linestyle=":", label=f"2/h_max = {max_stable_lr:.3g}")
    label_axes(
        ax,
        f"Loss after {steps} GD steps against learning rate",
        "learning rate",
        f"loss after {steps} steps",
    )
    ax.set_xscale("log")
    if stable or finite:  # a log axis of no values at all cannot be drawn
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "every learning rate diverged", transform=ax.transAxes, ha="center")
    ax.legend(**OUTSIDE_RIGHT)
    return save_figure(fig, path)


def save_loss_curves_with_minima(
    curves: Mapping[str, Sequence[float]], minima: Mapping[str, float], path: Path, title: str
) -> Path:
    """Loss per GD step for each named run, each with its theoretical minimum as a dotted line."""
    fig = new_figure(9, 4.5)
    ax = fig.add_subplot()
    steps: list[int] = []
    for (name, losses), colour in zip(curves.items(), ("C0", "C1", "C2", "C3"), strict=False):
        plot_line(ax, np.arange(len(losses)), losses, color=colour, label=name)
        steps += range(len(losses))
        if name in minima:
            ax.axhline(
                minima[name],
                color=colour,
                linestyle=":",
                label=f"minimum for {name}: {minima[name]:.4f}",
            )
    label_axes(ax, title, "full-batch GD step", "loss on the original scale")
    ax.set_yscale("log")
    integer_ticks_if_whole(ax, steps)
    ax.legend(fontsize=8, **OUTSIDE_RIGHT)
    return save_figure(fig, path)


def save_labelled_scatter(
    points: np.ndarray,
    foreground: np.ndarray,
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    equal_aspect: bool = False,
) -> Path:
    """``points: (N, 2)`` coloured by the boolean ``foreground: (N,)`` split of the reference.

    ``equal_aspect`` keeps one unit the same length on both axes (a picture of the plane); the
    figure is then sized to the points' extent, so the axes fill it.
    """
    points, foreground = np.asarray(points), np.asarray(foreground, dtype=bool)
    if equal_aspect:
        width, height = np.ptp(points, axis=0) if len(points) else (1.0, 1.0)
        fig = new_figure(9, float(np.clip(9 * height / max(width, 1e-12), 2.5, 9)) + 0.5)
    else:
        fig = new_figure(8, 4.5)
    ax = fig.add_subplot()
    _scatter(ax, points[~foreground], "tab:blue", "background")
    _scatter(ax, points[foreground], "tab:orange", "foreground")
    if equal_aspect:
        ax.set_aspect("equal")
    label_axes(ax, title, xlabel, ylabel)
    ax.legend(title="reference split", markerscale=4, fontsize=8, **OUTSIDE_RIGHT)
    return save_figure(fig, path)


def _scatter(ax: Axes, points: np.ndarray, colour: str, label: str) -> None:
    ax.scatter(
        points[:, 0],
        points[:, 1],
        s=4 if len(points) >= 30 else 20,  # a few points must still be seen
        color=colour,
        label=label,
        linewidths=0,
        rasterized=True,  # one image, not N vector markers, in the PNG's drawing
    )
