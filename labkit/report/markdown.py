"""Markdown pieces of a report: escaping, numbers, tables, the job table and a two-key pivot.

Text from the run dirs (error messages, overrides, metric names, job names) may hold anything;
it goes through :func:`escape` (or :func:`code`) before it reaches report.md, so a ``|`` or a
newline cannot break a table and ``<script>`` or ``*x*`` is shown as written, not rendered.
:func:`table` escapes every cell; a cell that is Markdown on purpose is a :class:`Markdown`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from labkit.report.runs import Run

STAGE_ORDER = ("val", "test", "train")

# Where a text had line breaks: it stays on one line (a table row, a list item).
LINE_BREAK = " ⏎ "
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Characters that start Markdown (code, emphasis, links, tables, strikethrough, math, headings)
# get a backslash; HTML's become entities; "_" only where it could start or end emphasis.
_SPECIAL = re.compile(r"[\\`*\[\]|~$#&<>]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class Markdown(str):
    """Text that is Markdown already (escaped, or built of escaped parts): written as it is."""


def _one_line(text: object) -> str:
    # A lone surrogate (JSON's "\ud800") cannot be written as UTF-8: it becomes "?".
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    lines = _LINE_BREAKS.split(text)
    if len(lines) > 1:  # each line trimmed, blank ones dropped; one line is left as it is
        text = LINE_BREAK.join(line.strip() for line in lines if line.strip())
    return _CONTROL.sub("\ufffd", text.replace("\t", " "))


def escape(text: object) -> Markdown:
    """``text`` on one line, to be shown as written (a :class:`Markdown` is returned as it is)."""
    if isinstance(text, Markdown):
        return text
    return Markdown(_SPECIAL.sub(lambda m: _ENTITIES.get(m[0], "\\" + m[0]), _one_line(text)))


def code(text: object) -> Markdown:
    """``text`` as inline code, on one line, whatever backticks it holds (not for table cells)."""
    text = _one_line(text)
    if not text:
        return Markdown("")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def bold(text: object) -> Markdown:
    return Markdown(f"**{escape(text)}**")


def number(value: float | int | None) -> str:
    """Four significant digits, thousands separated for counts; blank for nothing."""
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.4g}"


def table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; every cell is escaped (but a :class:`Markdown` one)."""

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(escape(c) for c in cells) + " |"

    separator = "| " + " | ".join(["---"] * len(header)) + " |"
    return "\n".join([line(header), separator, *(line(r) for r in rows)])


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
                bold(run.name) if run is best else run.name,
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
