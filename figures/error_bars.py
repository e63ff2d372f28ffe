"""One point per named item with ``±`` error bars and an optional threshold line, as one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from figures.style import label_axes, literal, new_figure, save_figure


def save_error_bars(
    path: str | Path,
    names: Sequence[str],
    means: Sequence[float],
    errors: Sequence[float],
    title: str,
    ylabel: str,
    *,
    xlabel: str,
    threshold: float | None = None,
    threshold_label: str = "threshold",
) -> Path:
    """``means[i] ± errors[i]`` at ``names[i]`` (in order), and a threshold line when given."""
    fig = new_figure(max(6.0, 0.55 * len(names) + 2), 4.5)
    ax = fig.add_subplot()
    xs = np.arange(len(names))
    ax.errorbar(xs, means, yerr=errors, fmt="o-", capsize=4, label="mean ± std")
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", linestyle="--", label=literal(threshold_label))
    ax.set_xticks(xs, [literal(n) for n in names], rotation=45, ha="right", fontsize=8)
    label_axes(ax, title, xlabel, ylabel)
    ax.legend(loc="lower right")
    return save_figure(fig, path)
