"""Synthetic point clouds with known answers, and writing them as ``ulu.csv`` files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# An invertible, non-orthogonal 3x3 map: the points are a linear image of (x, y, colour), as ulu.
MIXING = np.array([[1.8, 0.3, -1.2], [0.2, 1.0, 1.0], [-0.4, 0.3, 1.8]])
OFFSET = np.array([8.0, 2.0, 0.8])


def two_plane_points(
    n: int, rng: np.random.Generator, thickness: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """``(points (n, 3), foreground (n,) bool)``: (x, y) uniform, colour 1 inside a disc (~25%).

    ``points = MIXING @ [x, y, colour] + OFFSET``, plus uniform noise of ``± thickness`` along the
    colour axis, so the colours lie on two parallel planes with a known split.
    """
    xy = rng.uniform(-2, 2, size=(n, 2)) * np.array([2.0, 1.0])
    foreground = np.hypot(xy[:, 0] - 1, xy[:, 1]) < 1.3
    colour = foreground.astype(float) + rng.uniform(-thickness, thickness, n)
    return np.column_stack([xy, colour]) @ MIXING.T + OFFSET, foreground


def write_ulu_csv(path: Path, points: np.ndarray, header: str = "x,y,z") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header] + [",".join(repr(float(v)) for v in row) for row in points]
    path.write_text("\n".join(lines) + "\n")
    return path
