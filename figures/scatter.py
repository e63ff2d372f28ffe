"""Points in the plane coloured by an integer label, with a legend of the labels, as one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps

from figures.style import label_axes, literal, new_figure, save_figure


def save_scatter(
    path: str | Path,
    points: np.ndarray,
    labels: np.ndarray,
    title: str,
    xlabel: str,
    ylabel: str,
    label_names: Sequence[str] | None = None,
    legend_title: str | None = None,
) -> Path:
    """``points: (N, 2)`` coloured by integer ``labels: (N,)``, with a legend of the labels present.

    The legend sits outside the axes: matplotlib's "best" placement tests every point, seconds
    for tens of thousands of them.
    """
    points, labels = np.asarray(points), np.asarray(labels)
    fig = new_figure(7, 5.5)
    ax = fig.add_subplot()
    colors = colormaps["tab10"]
    for k in np.unique(labels):
        chosen = labels == k
        name = label_names[k] if label_names is not None else str(k)
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=3 if chosen.sum() >= 30 else 20,  # a few points must still be seen
            alpha=0.6,
            color=colors(int(k) % 10),
            label=literal(name),
            linewidths=0,
            rasterized=True,  # one image, not N vector markers, in the PNG's drawing
        )
    label_axes(ax, title, xlabel, ylabel)
    ax.legend(
        title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=4, fontsize=8
    )
    return save_figure(fig, path)
