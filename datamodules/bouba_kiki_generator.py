"""Procedural bouba-kiki images like the course's file: round blobs vs sharp stars and triangles.

For tests and for users without ``bouba_kiki.npz``. Each image holds one to three black shapes
(value 0) on white (255), all of one kind, placed at random and allowed to overlap: ellipses for
*bouba*, stars (4 to 8 points) and triangles for *kiki*. The same seed gives the same images.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

BOUBA, KIKI = 0, 1
CLASS_NAMES = ("bouba", "kiki")


def generate_bouba_kiki(
    count: int, size: int = 100, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(images (count, size, size) uint8 0/255, labels (count,) int64)``: half of each class.

    Labels are ``BOUBA`` (0) or ``KIKI`` (1), in a seeded random order.
    """
    if count < 2 or size < 16:
        raise ValueError(f"need count >= 2 and size >= 16, got count={count}, size={size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 2).astype(np.int64)
    images = np.stack([_draw_image(int(label), size, rng) for label in labels])
    return images, labels


def _draw_image(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    scale = size / 100  # shapes sized as in the course's 100x100 images
    for _ in range(rng.integers(1, 4)):
        centre = rng.uniform(0.25 * size, 0.75 * size, 2)
        if label == BOUBA:
            outline = _ellipse(centre, scale, rng)
        elif rng.random() < 0.5:
            outline = _star(centre, scale, rng)
        else:
            outline = _triangle(centre, scale, rng)
        draw.polygon([tuple(p) for p in outline], fill=0)
    return np.asarray(image, dtype=np.uint8)


def _rotated(points: np.ndarray, angle: float, centre: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]]) + centre


def _ellipse(centre: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    a = rng.uniform(8, 14) * scale
    b = a * rng.uniform(0.7, 1.0)
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    return _rotated(np.stack([a * np.cos(t), b * np.sin(t)], 1), rng.uniform(0, np.pi), centre)


def _star(centre: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    points = int(rng.integers(4, 9))
    outer = rng.uniform(9, 16) * scale
    radii = np.tile([outer, outer * rng.uniform(0.3, 0.5)], points)
    t = np.arange(2 * points) * np.pi / points
    return _rotated(np.stack([radii * np.cos(t), radii * np.sin(t)], 1), rng.uniform(0, 6), centre)


def _triangle(centre: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    t = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.4, 0.4, 3)
    radii = rng.uniform(9, 16) * scale * rng.uniform(0.8, 1.2, 3)
    return _rotated(np.stack([radii * np.cos(t), radii * np.sin(t)], 1), rng.uniform(0, 6), centre)
