"""The demos' PNGs, drawn by the ``figures`` package: loss curves, gradient sweep, accuracy by batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from figures.curves import Series, draw_series, save_curve_panels
from figures.style import literal, new_figure, save_figure


def save_loss_curves(
    path: Path,
    losses: Mapping[str, Sequence[float]],
    title: str,
    floor: tuple[str, float] | None = None,
) -> Path:
    """One line per named run, its loss at each optimizer step (from 1); ``floor``: a dashed
    ``(label, value)`` line, a loss no step can go below."""
    fig = new_figure(6.5, 4.5)
    ax = fig.add_subplot()
    series = {name: list(enumerate(values, start=1)) for name, values in losses.items()}
    if floor is not None:
        ax.axhline(floor[1], color="gray", linestyle="--", label=literal(floor[0]))
    draw_series(ax, series, title, "optimizer step", "training loss (its batch)")
    return save_figure(fig, path)


def save_gradient_sweep(path: Path, prob: Series, logit: Series, label: int) -> Path:
    """``|∂loss/∂ŷ_label|`` and ``|∂loss/∂z_label|`` against ŷ_label, one line per loss, log y."""
    by_prob = f"with respect to the probability ŷ{label}"
    by_logit = f"with respect to the logit z{label} (softmax(z) = ŷ)"
    return save_curve_panels(
        path,
        {by_prob: prob, by_logit: logit},
        f"ŷ{label}, the probability of the true class {label} (the others share the rest)",
        {by_prob: f"|∂loss/∂ŷ{label}|", by_logit: f"|∂loss/∂z{label}|"},
        suptitle="P1B: the gradient signal of MSE and cross-entropy at the true class",
        logy=True,
    )


def save_accuracy_by_batch(path: Path, series: Series, title: str) -> Path:
    """Test accuracy against the test batch size (log axis, ticked at the sizes), one line per mode."""
    fig = new_figure(6.5, 4.5)
    ax = fig.add_subplot()
    draw_series(ax, series, title, "test batch size", "test accuracy")
    sizes = sorted({x for points in series.values() for x, _ in points})
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{x:g}" for x in sizes])
    ax.minorticks_off()
    return save_figure(fig, path)
