"""Reference bouba/kiki labels from a geometric rule: the sharpest convex corner of the outlines.

A triangle turns by 120 degrees or more at a corner, a star's tip by more (the smoothing below
rounds them to 80-150 degrees); an ellipse turns smoothly, a few tens of degrees over any short
stretch of its outline. So the rule traces every
outline of an image (the 0.5 level line of the shape mask, smoothed by a Gaussian of
``smoothing_px`` to remove the pixel staircase), measures at each point the angle between the
outline's direction ``arc_px`` pixels before and after it, keeps the turns that bend towards the
shape (convex corners: where two blobs overlap, the notch bends away and does not count) and
calls the image *kiki* when its sharpest such corner passes ``threshold_deg``.

Solidity (area over convex-hull area) was the first candidate; it does not separate the course's
file, because a triangle is as convex as an ellipse.
"""

from __future__ import annotations

import contourpy
import numpy as np
from scipy import ndimage


def _resample(line: np.ndarray, step: float = 1.0) -> np.ndarray:
    """A closed polyline ``(M, 2)`` resampled at equal arc-length steps of ``step`` pixels."""
    lengths = np.linalg.norm(np.diff(line, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(lengths)])
    t = np.linspace(0.0, arc[-1], max(int(arc[-1] / step), 8), endpoint=False)
    return np.stack([np.interp(t, arc, line[:, 0]), np.interp(t, arc, line[:, 1])], axis=1)


def sharpest_corner_deg(image: np.ndarray, arc_px: int = 3, smoothing_px: float = 1.0) -> float:
    """The largest convex turn (degrees) over ``2 * arc_px`` pixels of any outline in ``image``.

    ``image: (H, W)``, shapes dark (< 128) on a light background. 0 for an image without shapes.
    """
    mask = np.pad((np.asarray(image) < 128).astype(np.float64), 2 * arc_px)
    smooth = ndimage.gaussian_filter(mask, smoothing_px)
    grad_row, grad_col = np.gradient(smooth)  # points into the shape
    sharpest = 0.0
    for line in contourpy.contour_generator(z=smooth).lines(0.5):
        points = _resample(np.asarray(line))  # (x, y) = (column, row)
        if len(points) < 8 * arc_px:
            # A speck, or a sliver of background between two touching shapes: too short to
            # hold a corner of a shape, and its turns would be all noise.
            continue
        before = points - np.roll(points, arc_px, axis=0)
        after = np.roll(points, -arc_px, axis=0) - points
        cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
        turn = np.abs(np.arctan2(cross, (before * after).sum(axis=1)))
        # The outline bends towards the shape at a convex corner: the change of direction
        # points the way the mask grows.
        bend = after / np.linalg.norm(after, axis=1, keepdims=True) - before / np.linalg.norm(
            before, axis=1, keepdims=True
        )
        coords = [points[:, 1], points[:, 0]]
        inward = np.stack(
            [
                ndimage.map_coordinates(grad_col, coords, order=1),
                ndimage.map_coordinates(grad_row, coords, order=1),
            ],
            axis=1,
        )
        convex = (bend * inward).sum(axis=1) > 0
        if convex.any():
            sharpest = max(sharpest, float(np.degrees(turn[convex].max())))
    return sharpest


def corner_scores(images: np.ndarray, arc_px: int = 3, smoothing_px: float = 1.0) -> np.ndarray:
    """``sharpest_corner_deg`` of each of ``images: (N, H, W)``, as ``(N,) float64``."""
    return np.array([sharpest_corner_deg(im, arc_px, smoothing_px) for im in images])


def reference_labels(scores: np.ndarray, threshold_deg: float) -> np.ndarray:
    """``(N,) int64``: 1 (kiki) where the sharpest corner passes ``threshold_deg``, else 0 (bouba)."""
    return (np.asarray(scores) > threshold_deg).astype(np.int64)


def threshold_margin(scores: np.ndarray, threshold_deg: float) -> tuple[float, float]:
    """``(largest bouba score, smallest kiki score)``: how far both classes stay from the threshold."""
    scores = np.asarray(scores)
    below, above = scores[scores <= threshold_deg], scores[scores > threshold_deg]
    return (
        float(below.max()) if below.size else float("nan"),
        float(above.min()) if above.size else float("nan"),
    )
