"""One figure of overlaid curves: a column per metric, a row against steps and one against epochs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib import colormaps

from figures.style import (
    integer_ticks_if_whole,
    label_axes,
    literal,
    new_figure,
    plot_line,
    save_figure,
)
from run_report.runs import Run

# How each stage's line is drawn; the colour tells the jobs apart.
STAGE_STYLE = {"train": "--", "val": "-"}
OTHER_STYLE = ":"


def panel_of(metric: str) -> tuple[str, str]:
    """``(stage, panel)``: ``train/loss_epoch`` and ``val/loss`` are both in panel ``loss``."""
    stage, _, name = metric.partition("/")
    for suffix in ("_epoch", "_step"):
        name = name.removesuffix(suffix)
    return stage, name


def panels(runs: Sequence[Run], only: Sequence[str] | None = None) -> dict[str, list[str]]:
    """``{panel: [metric, ...]}`` over all runs; ``only`` keeps those metrics (and their panels).

    ``*_best`` running maxima are left out unless named in ``only``.
    """
    found: dict[str, list[str]] = {}
    for run in runs:
        for metric in run.metrics.curve_names():
            keep = metric in only if only else not metric.endswith("_best")
            if keep:
                names = found.setdefault(panel_of(metric)[1], [])
                if metric not in names:
                    names.append(metric)
    return found


def _series_per_stage(run: Run, metrics: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{stage: (metric against steps, metric against epochs)}``.

    Against steps a stage's per-step metric (``train/loss``) wins over its epoch mean
    (``train/loss_epoch``); against epochs, the epoch metric wins (the per-step one is averaged
    over each epoch when it is all there is).
    """
    chosen: dict[str, tuple[str, str]] = {}
    for stage in dict.fromkeys(panel_of(m)[0] for m in metrics):
        mine = [m for m in metrics if panel_of(m)[0] == stage and m in run.metrics.points]
        if not mine:
            continue
        per_step = [m for m in mine if run.metrics.is_per_step(m)]
        per_epoch = [m for m in mine if not run.metrics.is_per_step(m)]
        chosen[stage] = ((per_step or per_epoch)[0], (per_epoch or per_step)[0])
    return chosen


def _log_scale(values: list[float], panel: str) -> bool:
    """A loss whose range spans more than 100x (a diverged job) is drawn on a log axis."""
    positive = [v for v in values if v > 0]
    return "loss" in panel and len(positive) == len(values) > 1 and max(values) > 100 * min(values)


def save_curve_figure(
    path: Path,
    runs: Sequence[Run],
    labels: Sequence[str],
    title: str,
    only: Sequence[str] | None = None,
) -> Path | None:
    """Draw every run's curves (one colour per run, a line style per stage) into ``path``.

    Returns None (and writes nothing) when no run logged a curve.
    """
    layout = panels(runs, only)
    if not layout:
        return None
    colours = colormaps["tab10"] if len(runs) <= 10 else colormaps["tab20"]
    fig = new_figure(5.5 * len(layout), 8.4)
    for col, (panel, metrics) in enumerate(layout.items()):
        for row, axis in enumerate(("step", "epoch")):
            ax = fig.add_subplot(2, len(layout), row * len(layout) + col + 1)
            xs_drawn: list[float] = []
            values: list[float] = []
            for i, (run, run_label) in enumerate(zip(runs, labels, strict=True)):
                for stage, (by_step, by_epoch) in _series_per_stage(run, metrics).items():
                    metric = by_step if axis == "step" else by_epoch
                    points = (
                        run.metrics.against_step(metric)
                        if axis == "step"
                        else run.metrics.against_epoch(metric)
                    )
                    if not points:
                        continue
                    xs, ys = zip(*points, strict=True)
                    xs_drawn += xs
                    values += ys
                    plot_line(
                        ax,
                        xs,
                        ys,
                        STAGE_STYLE.get(stage, OTHER_STYLE),
                        color=colours(i % colours.N),
                        markersize=3,
                        linewidth=1.2,
                        label=literal(f"{run_label} ({stage})"),
                    )
            xlabel = "optimizer step" if axis == "step" else "epoch"
            name = panel or metrics[0]  # a metric named "val/" has no panel name
            label_axes(ax, f"{name} against {axis}s", xlabel, name)
            if _log_scale(values, panel):
                ax.set_yscale("log")
            integer_ticks_if_whole(ax, xs_drawn)  # no step 12.5 or epoch 1.5
            if col == 0 and row == 0 and xs_drawn:
                ax.legend(fontsize=7)
    fig.suptitle(literal(f"{title}  (dashed: train, solid: val)"))
    # Beside its name, then renamed into place: a crash never leaves half a PNG under the name.
    return save_figure(fig, path)
