"""Build a report: read the runs under a folder, write report.md and its figures."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from figures.markdown_table import bold, code, escape, markdown_table
from figures.number_format import format_number
from labkit.atomic_files import remove_orphaned_parts, write_text
from labkit.errors import ConfigError
from run_report.best_job import BestBy, best_run, parse_best, recorded_best
from run_report.curve_figure import save_curve_figure
from run_report.job_tables import final_metric_names, job_table, pivot_table
from run_report.overrides import distinguishing_keys, label, planned_jobs, sweep_plan
from run_report.runs import Run, UnreadableFileError, find_runs, read_file, read_run


@dataclass(frozen=True)
class ReportOptions:
    """What report.py's options ask for (see its ``--help``)."""

    out_dir: Path | None = None
    best: str | None = None
    metrics: tuple[str, ...] = ()
    group_by: str | None = None
    pivot: tuple[str, str] | None = None
    pivot_metric: str = "test/acc"
    command: str | None = None  # the command line, quoted in the report


def build_report(path: Path, options: ReportOptions) -> Path:
    """Write ``<out_dir>/report.md`` (default ``<path>/report/``) and its PNGs; returns report.md.

    A job whose files cannot be parsed does not stop the report: it is listed under "Unreadable
    jobs" (and a warning line per job goes to stderr), the other jobs are reported as usual.
    Every file lands whole or not at all (``labkit.atomic_files``).
    """
    run_dirs, is_sweep = find_runs(path)
    runs = [read_run(d, d.name if is_sweep else path.name) for d in run_dirs]
    for run in runs:
        if run.unreadable:
            whom = (
                "this job as unreadable and reports the others"
                if is_sweep
                else "the run unreadable"
            )
            _warn(f"{run.path}: {_reasons(run)}; the report marks {whom}.")
    out = options.out_dir or path / "report"
    remove_orphaned_parts(out)  # what a report killed mid-write left beside its files
    sweep_notes: list[str] = []
    plan: dict[str, list[str] | None] = {}
    if is_sweep:
        try:
            plan = sweep_plan(path)
        except UnreadableFileError as err:
            _warn(f"{err}; the report does without the sweep's plan.")
            sweep_notes.append(f"{err.path} {err.reason}: the planned jobs are not known.")
    keys = distinguishing_keys([r for r in runs if r.overrides_known], list(plan))
    labels = [label(run, keys) for run in runs]
    only = list(options.metrics) or None
    by = parse_best(options.best) if options.best else recorded_best(runs)
    best = best_run(runs, by) if by and is_sweep else None
    title = next((str(t) for r in runs if (t := r.setting("task_name"))), path.name)

    lines = [f"# {escape(title)}: {'sweep' if is_sweep else 'run'} report", ""]
    lines += [
        f"{code(path)}: made by {code(options.command or f'python report.py {path}')} from "
        "metrics.csv, summary.json and .hydra/.",
        "",
    ]
    if is_sweep:
        lines += _sweep_section(runs, labels, keys, plan, only, by, best, options, sweep_notes)
    else:
        lines += _run_section(runs[0], only)
    lines += ["## Curves", ""]
    lines += _figures(out, runs, labels, title, only, options.group_by)
    failures = [r for r in runs if r.status not in ("finished", "unreadable")]
    if failures:
        lines += ["## Jobs that did not finish", ""]
        for run in failures:
            why = run.error or NO_REASON.get(run.status, "summary.json gives no reason")
            named = f" ({escape(label(run, keys))})" if label(run, keys) else ""
            lines.append(f"- {code(run.name)}{named}: {escape(run.status)}: {escape(why)}")
        lines.append("")
    unreadable = [r for r in runs if r.unreadable]
    if unreadable:
        lines += ["## Unreadable jobs" if is_sweep else "## Unreadable run", ""]
        lines += [f"- {code(r.path)}: {escape(_reasons(r))}." for r in unreadable]
        lines.append("")
    report = out / "report.md"
    write_text(report, "\n".join(lines))
    return report


# Why a job did not finish when summary.json does not say.
NO_REASON = {
    "unfinished": "no summary.json: still running, or stopped before its test",
    "interrupted": "stopped by SIGTERM or Ctrl-C; continue it with resume=true",
}


def _reasons(run: Run) -> str:
    """``.hydra/config.yaml is not valid YAML (...); metrics.csv ...``: why ``run`` is unreadable."""
    return "; ".join(f"{name} {why}" for name, why in run.unreadable.items())


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


STATUS_ORDER = ("finished", "failed", "interrupted", "unfinished", "unreadable")


def _sweep_section(
    runs: list[Run],
    labels: list[str],
    keys: list[str],
    plan: dict[str, list[str] | None],
    only: list[str] | None,
    by: BestBy | None,
    best: Run | None,
    options: ReportOptions,
    notes: list[str],
) -> list[str]:
    statuses = [*STATUS_ORDER, *(r.status for r in runs if r.status not in STATUS_ORDER)]
    counts = {s: sum(r.status == s for r in runs) for s in dict.fromkeys(statuses)}
    planned = planned_jobs(plan)
    of = f" of the {planned} the sweep plans" if planned and planned > len(runs) else ""
    lines = [
        f"{len(runs)} job{'s' if len(runs) > 1 else ''}{of}: "
        + ", ".join(f"{n} {escape(s)}" for s, n in counts.items() if n)
        + ".",
        f"They differ in: {escape(', '.join(keys) or 'nothing (same overrides)')}.",
        "",
    ]
    lines += [*(escape(note) for note in notes), ""] if notes else []
    if by is not None:
        if best is None:
            lines += [f"No finished job has a value of {escape(by.metric)}.", ""]
        else:
            lines += [
                f"**Best job by {escape(by.metric)} ({by.mode}): {code(best.name)} "
                f"({escape(label(best, keys))}), {escape(by.metric)} = "
                f"{format_number(best.final(by.metric))}.**",
                "",
            ]
    lines += _optuna_result(runs[0].path.parent)
    metrics = final_metric_names(runs, only)
    lines += ["## Jobs", "", job_table(runs, labels, metrics, best), ""]
    if options.pivot:
        row_key, col_key = options.pivot
        for key in options.pivot:
            if not any(key in r.overrides for r in runs):
                raise ConfigError(
                    f"--pivot {row_key},{col_key}: no job has the override {key!r}; the jobs "
                    f"differ in {', '.join(keys) or 'nothing'}."
                )
        known = [r for r in runs if r.overrides_known]
        lines += [
            f"## {escape(options.pivot_metric)} by {escape(row_key)} and {escape(col_key)}",
            "",
            pivot_table(
                known, row_key, col_key, options.pivot_metric, plan.get(row_key), plan.get(col_key)
            ),
            "",
        ]
    return lines


def _optuna_result(sweep_dir: Path) -> list[str]:
    """Optuna's own verdict (``optimization_results.yaml``), when the sweep was an Optuna search."""
    results = sweep_dir / "optimization_results.yaml"
    if not results.is_file():
        return []
    try:
        found = read_file(results, lambda f: yaml.safe_load(f.read_text(encoding="utf-8")))
    except UnreadableFileError as err:
        _warn(f"{err}; the report does without Optuna's verdict.")
        return [f"{escape(f'{err.path} {err.reason}')}: Optuna's verdict is not known.", ""]
    found = found if isinstance(found, dict) else {}
    best_params = found.get("best_params")
    best_params = best_params if isinstance(best_params, dict) else {}
    params = " ".join(code(f"{k}={v}") for k, v in best_params.items())
    value = found.get("best_value")
    value = format_number(value) if isinstance(value, int | float) else escape(value or "")
    return [f"Optuna's best trial: {params}, value {value}.", ""]


def _run_section(run: Run, only: list[str] | None) -> list[str]:
    why = run.error or (_reasons(run) if run.unreadable else None)
    lines = [f"Status: {bold(run.status)}" + (f" ({escape(why)})" if why else "") + ".", ""]
    if run.overrides:
        lines += ["Overrides: " + " ".join(code(f"{k}={v}") for k, v in run.overrides.items()), ""]
    rows = [[m, run.final(m)] for m in final_metric_names([run], only)]
    rows += [["parameters", run.params], ["epochs", run.epochs], ["time (s)", run.wall_time_s]]
    lines += ["## Summary", "", markdown_table(["figure", "value"], rows), ""]
    plots = sorted((run.path / "plots").glob("*.png"))
    if plots:
        lines += ["Plots the run made: " + ", ".join(code(f"plots/{p.name}") for p in plots), ""]
    return lines


def _figures(
    out: Path,
    runs: list[Run],
    labels: list[str],
    title: str,
    only: list[str] | None,
    group_by: str | None,
) -> list[str]:
    """One figure, or one per value of the override ``group_by``; Markdown links to them."""
    drawn = [i for i, run in enumerate(runs) if run.status != "unreadable"]  # nothing to draw
    groups: dict[str, list[int]] = {"": drawn}
    if group_by:
        if not any(group_by in r.overrides for r in runs):
            raise ConfigError(
                f"--group-by {group_by}: no job has that override; the jobs differ in "
                f"{', '.join(distinguishing_keys(runs)) or 'nothing'}."
            )
        groups = {}
        for i in drawn:
            groups.setdefault(runs[i].overrides.get(group_by, "?"), []).append(i)
    lines = []
    for value, members in groups.items():
        name = f"curves_{_file_part(group_by, value)}.png" if group_by else "curves.png"
        figure_title = f"{title}: {group_by}={value}" if group_by else title
        member_runs = [runs[i] for i in members]
        member_labels = [_without(labels[i], group_by, value) for i in members]
        written = save_curve_figure(out / name, member_runs, member_labels, figure_title, only)
        if written is None:
            where = f" for {group_by}={value}" if group_by else ""
            lines += [f"No curves logged{escape(where)}.", ""]
        else:
            lines += [f"![{escape(figure_title)}]({name})", ""]
    return lines


def _without(text: str, key: str | None, value: str) -> str:
    """A job's label without the part every job of its figure shares."""
    if not key:
        return text
    return " ".join(p for p in text.split(" ") if p != f"{key}={value}") or text


def _file_part(key: str, value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{key}={value}")


def parse_pivot(spec: str | None) -> tuple[str, str] | None:
    if not spec:
        return None
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"--pivot takes two override keys, ROWS,COLUMNS (e.g. net,data), got {spec!r}."
        )
    return parts[0], parts[1]


def parse_metrics(spec: str | None) -> tuple[str, ...]:
    return tuple(m.strip() for m in (spec or "").split(",") if m.strip())
