"""Checks of drawn figures: every text inside the canvas, every axis labelled, each point seen."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text


def record_saved_figures(monkeypatch) -> list[Figure]:
    """Every Figure saved while the test runs, in order (each is also written as usual)."""
    saved: list[Figure] = []
    savefig = Figure.savefig

    def recording(self, *args, **kwargs):
        saved.append(self)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording)
    return saved


def _drawn(fig: Figure) -> FigureCanvasAgg:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas


def clipped_texts(fig: Figure) -> list[str]:
    """What of ``fig`` reaches past its canvas: each title, axis label, legend entry, caption and
    suptitle by its text, and each axes with its tick labels as a whole (a tick outside the view
    keeps a label object that is never drawn, so tick labels are judged by what is drawn)."""
    renderer = _drawn(fig).get_renderer()
    width, height = fig.bbox.width, fig.bbox.height

    def outside(box) -> bool:
        return box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5

    texts: list[Text] = [*fig.texts]
    for legend in fig.legends:
        texts += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend() is not None:
            texts += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
    out = [
        f"{t.get_text()!r} at {tuple(round(v) for v in t.get_window_extent(renderer).bounds)}"
        for t in texts
        if t.get_visible() and t.get_text().strip() and outside(t.get_window_extent(renderer))
    ]
    out += [
        f"axes {ax.get_title()!r} with its tick labels at {ax.get_tightbbox(renderer).bounds}"
        for ax in fig.axes
        if outside(ax.get_tightbbox(renderer))
    ]
    return [f"{what} in a {width:g}x{height:g} canvas" for what in out]


def unlabelled_axes(fig: Figure) -> list[str]:
    """``'title': no y`` for each shown axes that lacks a title, an x label or a y label."""
    out = []
    for ax in fig.axes:
        if not ax.axison:
            continue  # an image grid: no axes to label
        texts = {"title": ax.get_title(), "x": ax.get_xlabel(), "y": ax.get_ylabel()}
        missing = [what for what, text in texts.items() if not text.strip()]
        if missing:
            out.append(f"{ax.get_title()!r}: no {', '.join(missing)}")
    return out


def colour_at(fig: Figure, ax: Axes, x: float, y: float) -> tuple[float, float, float]:
    """The RGB (0-1) drawn at data point ``(x, y)`` of ``ax`` in the rendered ``fig``."""
    pixels = np.asarray(_drawn(fig).buffer_rgba())
    px, py = ax.transData.transform((x, y))
    row, col = int(round(pixels.shape[0] - py)), int(round(px))
    return tuple(pixels[row, col, :3] / 255.0)


def is_colour(rgb: tuple[float, float, float], colour: str, tolerance: float = 0.15) -> bool:
    return bool(np.abs(np.array(rgb) - np.array(to_rgb(colour))).max() <= tolerance)
