"""Curves as PNG files: named series of ``(x, y)`` points, one panel or several side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.axes import Axes

from figures.style import (
    integer_ticks_if_whole,
    label_axes,
    literal,
    new_figure,
    plot_line,
    save_figure,
)

Series = Mapping[str, Sequence[tuple[float, float]]]


def draw_series(
    ax: Axes, series: Series, title: str, xlabel: str, ylabel: str, logy: bool = False
) -> None:
    """One line per named series of ``(x, y)`` points on ``ax``, titled and labelled."""
    xs_all: list[float] = []
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            plot_line(ax, xs, ys, label=literal(label))
            xs_all += xs
    label_axes(ax, title, xlabel, ylabel)
    if logy:
        ax.set_yscale("log")
    if xs_all:
        ax.legend()
    integer_ticks_if_whole(ax, xs_all)


def save_curves(
    path: str | Path, series: Series, title: str, xlabel: str, ylabel: str, logy: bool = False
) -> Path:
    """One line per named series of ``(x, y)`` points; returns the written path."""
    return save_curve_panels(path, {title: series}, xlabel, {title: ylabel}, logy=logy)


def save_curve_panels(
    path: str | Path,
    panels: Mapping[str, Series],
    xlabel: str,
    ylabels: Mapping[str, str],
    suptitle: str | None = None,
    logy: bool = False,
) -> Path:
    """Side-by-side panels (one figure, one file): ``{panel title: {label: [(x, y), ...]}}``."""
    fig = new_figure(5.5 * len(panels), 4.2 if suptitle else 4)
    for i, (title, series) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), i + 1)
        draw_series(ax, series, title, xlabel, ylabels[title], logy)
    if suptitle:
        fig.suptitle(literal(suptitle))
    return save_figure(fig, path)
