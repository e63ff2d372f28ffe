"""The one plot style: a figure laid out so nothing is clipped, titled, labelled axes, saved whole.

Every figure is built here (matplotlib's object API, no pyplot state) with the constrained layout,
which sizes the margins from the text actually drawn (tick labels, axis labels, titles, legends
outside the axes), so no label loses a letter whatever its length or the number of panels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from labkit.atomic_files import write_with

DPI = 90
# A series this short is drawn with a marker on every point: one point is a dot, not nothing.
MARKER_BELOW = 30


def new_figure(width: float, height: float, dpi: int = DPI) -> Figure:
    """An empty figure of ``width`` x ``height`` inches whose layout keeps every text inside it."""
    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def literal(text: str) -> str:
    """``text`` as matplotlib should draw it: a ``$`` (in an override, a name) is no mathtext."""
    return text.replace("$", r"\$")


def label_axes(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    """Title and both axis labels (each required: a reader must know what an axis measures)."""
    for what, text in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
        if not str(text).strip():
            raise ValueError(f"a figure's {what} is empty; pass the text to show, e.g. 'epoch'")
    ax.set_title(literal(title))
    ax.set_xlabel(literal(xlabel))
    ax.set_ylabel(literal(ylabel))
    ax.grid(alpha=0.3)
    # Values as they are (0.51235), not an offset above the axis ("1e-6+5.1234e-1") that
    # collides with the title and that a reader must add up.
    ax.ticklabel_format(axis="y", useOffset=False)


def plot_line(ax: Axes, xs: Sequence[float], ys: Sequence[float], *args, **kwargs) -> None:
    """``ax.plot`` with a marker on every point of a short series, so one point is visible."""
    if len(xs) < MARKER_BELOW:
        kwargs.setdefault("marker", "o")
    ax.plot(xs, ys, *args, **kwargs)


def integer_ticks_if_whole(ax: Axes, xs: Sequence[float]) -> None:
    """Whole-number ticks on the x-axis when every x is whole (epochs, steps: no epoch 1.5).

    A single x (one epoch) gets one tick at it, in a range one unit either side; matplotlib's
    own range around one value would be ticked 0.945 ... 1.05.
    """
    if not xs or not all(float(x).is_integer() for x in xs):
        return
    if len(set(xs)) == 1:
        ax.set_xlim(xs[0] - 1, xs[0] + 1)
        ax.set_xticks([xs[0]])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix) beside it, then rename it into place."""
    path = Path(path)
    write_with(path, lambda f: fig.savefig(f, format=path.suffix.lstrip(".") or "png"))
    return path
