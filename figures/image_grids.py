"""A grid of images with a caption under each, as one PNG (one mosaic, one ``imshow``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from figures.style import literal, new_figure, save_figure


def as_displayable(image: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
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
    drawn by a single ``imshow``: one axes instead of N keeps this cheap enough to run inside a
    training job.
    """
    tiles = [as_displayable(im, value_range) for im in images]
    n = len(tiles)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    h, w = tiles[0].shape[:2]
    gap_x, gap_y = max(2, w // 8), max(2, h // 2)  # room for two caption lines under each tile
    channels = tiles[0].shape[2:] or ()
    mosaic = np.ones((nrows * (h + gap_y), ncols * (w + gap_x), *channels), dtype=np.float32)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap_y) : r * (h + gap_y) + h, c * (w + gap_x) : c * (w + gap_x) + w] = tile
    fig = new_figure(max(3.4, 1.7 * ncols), 1.9 * nrows + 0.5, dpi=80)
    ax = fig.add_subplot()
    ax.imshow(mosaic, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    for i, caption in enumerate(captions):
        r, c = divmod(i, ncols)
        ax.text(
            c * (w + gap_x) + w / 2,
            r * (h + gap_y) + h + 0.5,
            literal(caption),
            ha="center",
            va="top",
            fontsize=8,
            color=caption_colors[i] if caption_colors else "black",
        )
    ax.set_axis_off()
    ax.set_title(literal(title), fontsize=10)
    return save_figure(fig, path)
