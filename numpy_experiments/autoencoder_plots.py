"""PNG plots of the linear-autoencoder experiment (matplotlib's object API, no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from labkit.atomic_files import write_with
from numpy_experiments.identity_fit_sweep import LrRun


def _save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG at ``path`` atomically: a crash never leaves half a PNG there."""
    fig.tight_layout()
    write_with(path, lambda f: fig.savefig(f, format="png"))
    return path


def save_lr_sweep_curves(runs: Sequence[LrRun], path: Path, max_stable_lr: float) -> Path:
    """Loss per GD step for every lr (log scale); diverging runs are drawn dashed until they blow up."""
    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 1, len(runs)))
    for run, colour in zip(runs, colours, strict=True):
        losses = np.asarray(run.losses, dtype=float)
        style = "--" if run.lr >= max_stable_lr else "-"
        ax.plot(np.arange(len(losses)), losses, style, color=colour, label=f"lr={run.lr:.2e}")
    ax.set_yscale("log")
    ax.set_title(
        f"Linear(3,3) on raw ulu data: full-batch GD (divergence above lr={max_stable_lr:.3g})"
    )
    ax.set_xlabel("GD step")
    ax.set_ylabel("reconstruction loss (mean squared distance)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    return _save(fig, path)


def save_lr_sweep_final(
    runs: Sequence[LrRun], path: Path, max_stable_lr: float, steps: int
) -> Path:
    """Final loss against lr (log-log), measured and closed-form, with the stability limit marked."""
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot()
    stable = [r for r in runs if not r.diverged]
    ax.plot([r.lr for r in stable], [r.final_loss for r in stable], "o-", label="GD (numpy_ref)")
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
    ax.set_xscale("log")
    if stable or finite:  # a log axis of no values at all cannot be drawn
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "every learning rate diverged", transform=ax.transAxes, ha="center")
    ax.set_title(f"Loss after {steps} GD steps against learning rate")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"loss after {steps} steps")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def save_loss_curves_with_minima(
    curves: Mapping[str, Sequence[float]], minima: Mapping[str, float], path: Path, title: str
) -> Path:
    """Loss per GD step for each named run, each with its theoretical minimum as a dotted line."""
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    for (name, losses), colour in zip(curves.items(), ("C0", "C1", "C2", "C3"), strict=False):
        ax.plot(np.arange(len(losses)), losses, color=colour, label=name)
        if name in minima:
            ax.axhline(
                minima[name],
                color=colour,
                linestyle=":",
                label=f"minimum for {name}: {minima[name]:.4f}",
            )
    ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("full-batch GD step")
    ax.set_ylabel("loss on the original scale")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def save_labelled_scatter(
    points: np.ndarray,
    foreground: np.ndarray,
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    equal_aspect: bool = False,
) -> Path:
    """``points: (N, 2)`` coloured by the boolean ``foreground: (N,)`` split."""
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    ax.scatter(*points[~foreground].T, s=2, color="tab:blue", label="background (reference)")
    ax.scatter(*points[foreground].T, s=2, color="tab:orange", label="foreground (reference)")
    if equal_aspect:
        ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(markerscale=5, fontsize=8)
    return _save(fig, path)
