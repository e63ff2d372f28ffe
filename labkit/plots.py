"""Figures as PNG files: curves and image grids. Uses matplotlib's object API (no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from labkit.atomic_files import write_with

Series = Mapping[str, Sequence[tuple[float, float]]]
# A fixed title height: with the default (auto) one, matplotlib measures every tick label of the
# axes to place the title, about a quarter of the time a small figure takes to draw.
TITLE_Y = 1.02


def _draw_series(ax, series: Series, title: str, xlabel: str, ylabel: str, logy: bool) -> None:
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, label=label)
    ax.set_title(title, y=TITLE_Y)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    xs_all = [x for points in series.values() for x, _ in points]
    if xs_all and all(float(x).is_integer() for x in xs_all):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs, steps: no 1.5


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
    fig = Figure(figsize=(5.5 * len(panels), 4), dpi=90)
    for i, (title, series) in enumerate(panels.items()):
        _draw_series(
            fig.add_subplot(1, len(panels), i + 1), series, title, xlabel, ylabels[title], logy
        )
    if suptitle:
        fig.suptitle(suptitle)
    # Fixed margins instead of tight_layout, which draws the figure twice (half of the ~0.4 s
    # this takes inside a training run); the panel size is fixed, so the margins fit.
    fig.subplots_adjust(
        left=0.12 / len(panels) ** 0.5,
        right=0.97,
        bottom=0.13,
        top=0.82 if suptitle else 0.9,
        wspace=0.28,
    )
    return _save(fig, path)


def _as_displayable(
    image: np.ndarray, value_range: tuple[float, float] | None = None
) -> np.ndarray:
    """(C, H, W) or (H, W) float/uint8 -> (H, W) or (H, W, 3) scaled to [0, 1] for imshow.

    Scaled from ``value_range`` (clipped to it) when given, else from the image's own min and max.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))
    lo, hi = value_range if value_range is not None else (float(image.min()), float(image.max()))
    if hi <= lo:
        return np.zeros_like(image)
    return np.clip((image - lo) / (hi - lo), 0.0, 1.0)


def save_image_grid(
    path: str | Path,
    images: np.ndarray,
    captions: Sequence[str],
    title: str,
    caption_colors: Sequence[str] | None = None,
    ncols: int = 5,
    value_range: tuple[float, float] | None = None,
) -> Path:
    """Grid of ``images: (N, C, H, W)`` or ``(N, H, W)`` with one caption under each.

    Each tile is scaled from its own min and max, or from one shared ``value_range`` (so that
    tiles compare, e.g. inputs and their reconstructions). The tiles are pasted into one mosaic
    drawn by a single ``imshow`` (one axes instead of N keeps this a few times faster, which
    matters when it runs inside a training job).
    """
    tiles = [_as_displayable(im, value_range) for im in images]
    n = len(tiles)
    nrows = max(1, -(-n // ncols))
    h, w = tiles[0].shape[:2]
    gap_x, gap_y = max(2, w // 8), max(2, h // 2)  # room for two caption lines under each tile
    channels = tiles[0].shape[2:] or ()
    mosaic = np.ones((nrows * (h + gap_y), ncols * (w + gap_x), *channels), dtype=np.float32)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap_y) : r * (h + gap_y) + h, c * (w + gap_x) : c * (w + gap_x) + w] = tile
    fig = Figure(figsize=(1.7 * ncols, 1.9 * nrows + 0.5), dpi=80)
    ax = fig.add_subplot()
    ax.imshow(mosaic, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    for i, caption in enumerate(captions):
        r, c = divmod(i, ncols)
        color = caption_colors[i] if caption_colors else "black"
        ax.text(
            c * (w + gap_x) + w / 2,
            r * (h + gap_y) + h + 0.5,
            caption,
            ha="center",
            va="top",
            fontsize=8,
            color=color,
        )
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, y=TITLE_Y)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)  # not tight_layout: 2x slower
    return _save(fig, path)


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
    fig = Figure(figsize=(7, 5.5), dpi=90)
    ax = fig.add_subplot()
    colors = colormaps["tab10"]
    for k in np.unique(labels):
        chosen = labels == k
        name = label_names[k] if label_names is not None else str(k)
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=3,
            alpha=0.6,
            color=colors(int(k) % 10),
            label=name,
            linewidths=0,
            rasterized=True,  # one image, not N vector markers, in the PNG's drawing
        )
    ax.set_title(title, y=TITLE_Y)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(
        title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=4, fontsize=8
    )
    fig.subplots_adjust(left=0.1, right=0.8, bottom=0.1, top=0.9)  # not tight_layout: 2x slower
    return _save(fig, path)


def save_error_bars(
    path: str | Path,
    names: Sequence[str],
    means: Sequence[float],
    errors: Sequence[float],
    title: str,
    ylabel: str,
    threshold: float | None = None,
    threshold_label: str = "threshold",
) -> Path:
    """One point per named item (in order) with ``±errors`` bars, and an optional threshold line."""
    fig = Figure(figsize=(max(6.0, 0.55 * len(names) + 2), 4), dpi=90)
    ax = fig.add_subplot()
    xs = np.arange(len(names))
    ax.errorbar(xs, means, yerr=errors, fmt="o-", capsize=4, label="mean ± std")
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", linestyle="--", label=threshold_label)
    ax.set_xticks(xs, list(names), rotation=45, ha="right", fontsize=8)
    ax.set_title(title, y=TITLE_Y)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.25, top=0.9)  # not tight_layout: 2x slower
    return _save(fig, path)


def _save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix) beside it, then rename it into place."""
    path = Path(path)
    write_with(path, lambda f: fig.savefig(f, format=path.suffix.lstrip(".") or "png"))
    return path
