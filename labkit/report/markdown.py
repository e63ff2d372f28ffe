"""Markdown pieces of a report: numbers, tables, the job table and a two-key pivot."""

from __future__ import annotations

from collections.abc import Sequence

from labkit.report.runs import Run

STAGE_ORDER = ("val", "test", "train")


def number(value: float | int | None) -> str:
    """Four significant digits, thousands separated for counts; blank for nothing."""
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.4g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return (
            "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


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
    rows = []
    for run, run_label in zip(runs, labels, strict=True):
        status = run.status + (" (best)" if run is best else "")
        rows.append(
            [
                f"**{run.name}**" if run is best else run.name,
                run_label,
                status,
                *(number(run.final(m)) for m in metrics),
                number(run.params),
                number(run.epochs),
                number(run.wall_time_s),
            ]
        )
    return table(header, rows)


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
        cells = [f"{row_key}={rv}"]
        for cv in col_values:
            match = [
                r
                for r in runs
                if r.overrides.get(row_key, "") == rv and r.overrides.get(col_key, "") == cv
            ]
            cells.append(
                ", ".join(
                    number(r.final(metric)) if r.status == "finished" else r.status for r in match
                )
                or "not run"
            )
        rows.append(cells)
    return table([f"{metric}", *(f"{col_key}={cv}" for cv in col_values)], rows)
