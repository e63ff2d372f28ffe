"""Pick the best job of a sweep by one metric, maximised or minimised."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from labkit.errors import ConfigError
from run_report.runs import Run

# A metric named like these is better smaller; any other (acc, f1, auc, ...) is better larger.
SMALLER_IS_BETTER = ("loss", "error", "mse", "mae", "perplexity", "diff")


@dataclass(frozen=True)
class BestBy:
    """``metric`` and whether larger is better (``mode`` is ``"max"`` or ``"min"``)."""

    metric: str
    mode: str


def parse_best(spec: str) -> BestBy:
    """``val/acc`` (mode from the name) or ``val/loss:min`` / ``val/acc:max``."""
    metric, _, mode = spec.partition(":")
    if not metric:
        raise ConfigError(
            f"--best needs a metric name such as val/acc or val/loss:min, got {spec!r}."
        )
    if mode and mode not in ("max", "min"):
        raise ConfigError(f"--best {spec}: the mode after ':' must be max or min, got {mode!r}.")
    return BestBy(metric, mode or guess_mode(metric))


def guess_mode(metric: str) -> str:
    return "min" if any(word in metric.lower() for word in SMALLER_IS_BETTER) else "max"


def recorded_best(runs: Sequence[Run]) -> BestBy | None:
    """The metric the runs were optimised for (``optimized_metric``), with its direction.

    The direction is the sweeper's (``hydra.sweeper.direction`` of an Optuna sweep), else the
    model's ``monitor_mode`` when the metric is its monitor (``val/acc_best`` of ``val/acc``),
    else guessed from the name.
    """
    for run in runs:
        metric = run.setting("optimized_metric")
        if not metric:
            continue
        direction = run.setting("hydra.sweeper.direction")
        if isinstance(direction, str) and direction in ("maximize", "minimize"):
            return BestBy(metric, "max" if direction == "maximize" else "min")
        monitor, mode = run.setting("model.monitor"), run.setting("model.monitor_mode")
        if monitor and mode in ("max", "min") and metric in (monitor, f"{monitor}_best"):
            return BestBy(metric, mode)
        return BestBy(metric, guess_mode(metric))
    return None


def best_run(runs: Sequence[Run], by: BestBy) -> Run | None:
    """The finished run with the best finite value of ``by.metric``; None if no run has one."""
    scored = [
        (value, i, run)
        for i, run in enumerate(runs)
        if run.status == "finished"
        and (value := run.final(by.metric)) is not None
        and math.isfinite(value)
    ]
    if not scored:
        return None
    sign = -1 if by.mode == "max" else 1
    return min(scored, key=lambda t: (sign * t[0], t[1]))[2]
