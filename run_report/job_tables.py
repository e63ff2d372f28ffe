"""The report's tables: one row per job (overrides, status, final metrics) and a two-key pivot.

Cells are raw values: :func:`figures.markdown_table.markdown_table` escapes the text (a job's
name, overrides and errors may hold anything) and formats the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from figures.markdown_table import bold, markdown_table
from figures.number_format import format_number
from run_report.runs import Run

STAGE_ORDER = ("val", "test", "train")


def final_metric_names(runs: Sequence[Run], only: Sequence[str] | None = None) -> list[str]:
    """The metrics a job table shows: ``only``, or every val/test/train metric logged once per
    epoch or at the end (a per-step metric has its epoch mean beside it), val first."""
    if only:
        return list(only)
    names: list[str] = []
    for run in runs:
        candidates = [*run.metrics.names, *(k for k in run.summary if "/" in k)]
        for name in candidates:
            stage = name.partition("/")[0]
            if stage in STAGE_ORDER and name not in names and not run.metrics.is_per_step(name):
                names.append(name)
    return sorted(names, key=lambda n: (STAGE_ORDER.index(n.partition("/")[0]), n))


def job_table(
    runs: Sequence[Run], labels: Sequence[str], metrics: Sequence[str], best: Run | None
) -> str:
    """One row per job: its overrides, status, final metrics, parameters, epochs, time."""
    header = ["job", "overrides", "status", *metrics, "parameters", "epochs", "time (s)"]
    rows = [
        [
            bold(run.name) if run is best else run.name,
            run_label,
            run.status + (" (best)" if run is best else ""),
            *(run.final(m) for m in metrics),
            run.params,
            run.epochs,
            run.wall_time_s,
        ]
        for run, run_label in zip(runs, labels, strict=True)
    ]
    return markdown_table(header, rows)


def pivot_table(
    runs: Sequence[Run],
    row_key: str,
    col_key: str,
    metric: str,
    row_plan: Sequence[str] | None = None,
    col_plan: Sequence[str] | None = None,
) -> str:
    """``metric`` of each job in a grid: a row per value of ``row_key``, a column per ``col_key``.

    The values are the sweep's planned ones (``*_plan``) and those the jobs have. A cell with no
    finished job says why (failed, unfinished, or "not run" for a job the sweep has not begun).
    """
    row_values = list(
        dict.fromkeys([*(row_plan or []), *(r.overrides.get(row_key, "") for r in runs)])
    )
    col_values = list(
        dict.fromkeys([*(col_plan or []), *(r.overrides.get(col_key, "") for r in runs)])
    )
    rows = []
    for rv in row_values:
        cells: list[object] = [f"{row_key}={rv}"]
        for cv in col_values:
            match = [
                r
                for r in runs
                if r.overrides.get(row_key, "") == rv and r.overrides.get(col_key, "") == cv
            ]
            if len(match) == 1 and match[0].status == "finished":
                cells.append(match[0].final(metric))  # a number: formatted, right-aligned
            else:
                shown = [
                    format_number(r.final(metric)) if r.status == "finished" else r.status
                    for r in match
                ]
                cells.append(", ".join(shown) or "not run")
        rows.append(cells)
    return markdown_table([metric, *(f"{col_key}={cv}" for cv in col_values)], rows)
