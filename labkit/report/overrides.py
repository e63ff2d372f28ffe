"""What distinguishes the jobs of a sweep: the overrides whose values differ between them."""

from __future__ import annotations

from collections.abc import Sequence

from labkit.report.runs import Run


def distinguishing_keys(runs: Sequence[Run]) -> list[str]:
    """Override keys whose value is not the same in every run (in first-seen order)."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.overrides if k not in keys]
    return [k for k in keys if len({run.overrides.get(k) for run in runs}) > 1]


def label(run: Run, keys: Sequence[str]) -> str:
    """``net=cnn optimizer=sgd``: the run's values of ``keys``; its dir name when there are none."""
    parts = [f"{k}={run.overrides[k]}" for k in keys if k in run.overrides]
    return " ".join(parts) or run.name
