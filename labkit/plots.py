"""Figures as PNG files: curves and image grids. Uses matplotlib's object API (no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def save_curves(
    path: str | Path,
    series: Mapping[str, Sequence[tuple[float, float]]],
    title: str,
    xlabel: str,
    ylabel: str,
    logy: bool = False,
) -> Path:
    """One line per named series of ``(x, y)`` points; returns the written path."""
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot()
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _as_displayable(image: np.ndarray) -> np.ndarray:
    """(C, H, W) or (H, W) float/uint8 -> (H, W) or (H, W, 3) scaled to [0, 1] for imshow."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))
    lo, hi = float(image.min()), float(image.max())
    return (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)


def save_image_grid(
    path: str | Path,
    images: np.ndarray,
    captions: Sequence[str],
    title: str,
    caption_colors: Sequence[str] | None = None,
    ncols: int = 5,
) -> Path:
    """Grid of ``images: (N, C, H, W)`` or ``(N, H, W)`` with one caption under each."""
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(2.0 * ncols, 2.2 * nrows + 0.4), dpi=100)
    for i in range(nrows * ncols):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(_as_displayable(images[i]), cmap="gray")
        color = caption_colors[i] if caption_colors else "black"
        ax.set_xlabel(captions[i], color=color, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
