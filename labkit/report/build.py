"""Build a report: read the runs under a folder, write report.md and its figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from labkit.errors import ConfigError
from labkit.report.best_job import BestBy, best_run, parse_best, recorded_best
from labkit.report.curve_figure import save_curve_figure
from labkit.report.markdown import final_metric_names, job_table, number, pivot_table, table
from labkit.report.overrides import distinguishing_keys, label, planned_jobs, sweep_plan
from labkit.report.runs import Run, find_runs, read_run


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
    """Write ``<out_dir>/report.md`` (default ``<path>/report/``) and its PNGs; returns report.md."""
    run_dirs, is_sweep = find_runs(path)
    runs = [read_run(d, d.name if is_sweep else path.name) for d in run_dirs]
    out = options.out_dir or path / "report"
    out.mkdir(parents=True, exist_ok=True)
    plan = sweep_plan(path) if is_sweep else {}
    keys = distinguishing_keys(runs, list(plan))
    labels = [label(run, keys) for run in runs]
    only = list(options.metrics) or None
    by = parse_best(options.best) if options.best else recorded_best(runs)
    best = best_run(runs, by) if by and is_sweep else None
    title = str(runs[0].setting("task_name") or path.name)

    lines = [f"# {title}: {'sweep' if is_sweep else 'run'} report", ""]
    lines += [
        f"`{path}`: made by `{options.command or f'python report.py {path}'}` from metrics.csv, "
        "summary.json and .hydra/.",
        "",
    ]
    if is_sweep:
        lines += _sweep_section(runs, labels, keys, plan, only, by, best, options)
    else:
        lines += _run_section(runs[0], only)
    lines += ["## Curves", ""]
    lines += _figures(out, runs, labels, title, only, options.group_by)
    failures = [r for r in runs if r.status != "finished"]
    if failures:
        lines += ["## Jobs that did not finish", ""]
        for run in failures:
            why = run.error or "no summary.json: still running, or stopped before its test"
            named = f" ({label(run, keys)})" if label(run, keys) else ""
            lines.append(f"- `{run.name}`{named}: {run.status}: {why}")
        lines.append("")
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report


def _sweep_section(
    runs: list[Run],
    labels: list[str],
    keys: list[str],
    plan: dict[str, list[str] | None],
    only: list[str] | None,
    by: BestBy | None,
    best: Run | None,
    options: ReportOptions,
) -> list[str]:
    counts = {s: sum(r.status == s for r in runs) for s in ("finished", "failed", "unfinished")}
    planned = planned_jobs(plan)
    of = f" of the {planned} the sweep plans" if planned and planned > len(runs) else ""
    lines = [
        f"{len(runs)} job{'s' if len(runs) > 1 else ''}{of}: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + ".",
        f"They differ in: {', '.join(keys) or 'nothing (same overrides)'}.",
        "",
    ]
    if by is not None:
        if best is None:
            lines += [f"No finished job has a value of {by.metric}.", ""]
        else:
            lines += [
                f"**Best job by {by.metric} ({by.mode}): `{best.name}` "
                f"({label(best, keys)}), {by.metric} = {number(best.final(by.metric))}.**",
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
        lines += [
            f"## {options.pivot_metric} by {row_key} and {col_key}",
            "",
            pivot_table(
                runs, row_key, col_key, options.pivot_metric, plan.get(row_key), plan.get(col_key)
            ),
            "",
        ]
    return lines


def _optuna_result(sweep_dir: Path) -> list[str]:
    """Optuna's own verdict (``optimization_results.yaml``), when the sweep was an Optuna search."""
    results = sweep_dir / "optimization_results.yaml"
    if not results.is_file():
        return []
    found = yaml.safe_load(results.read_text()) or {}
    params = " ".join(f"`{k}={v}`" for k, v in (found.get("best_params") or {}).items())
    return [f"Optuna's best trial: {params}, value {number(found.get('best_value'))}.", ""]


def _run_section(run: Run, only: list[str] | None) -> list[str]:
    lines = [f"Status: **{run.status}**" + (f" ({run.error})" if run.error else "") + ".", ""]
    if run.overrides:
        lines += ["Overrides: " + " ".join(f"`{k}={v}`" for k, v in run.overrides.items()), ""]
    rows = [[m, number(run.final(m))] for m in final_metric_names([run], only)]
    rows += [
        ["parameters", number(run.params)],
        ["epochs", number(run.epochs)],
        ["time (s)", number(run.wall_time_s)],
    ]
    lines += ["## Summary", "", table(["figure", "value"], rows), ""]
    plots = sorted((run.path / "plots").glob("*.png"))
    if plots:
        lines += ["Plots the run made: " + ", ".join(f"`plots/{p.name}`" for p in plots), ""]
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
    groups: dict[str, list[int]] = {"": list(range(len(runs)))}
    if group_by:
        if not any(group_by in r.overrides for r in runs):
            raise ConfigError(
                f"--group-by {group_by}: no job has that override; the jobs differ in "
                f"{', '.join(distinguishing_keys(runs)) or 'nothing'}."
            )
        groups = {}
        for i, run in enumerate(runs):
            groups.setdefault(run.overrides.get(group_by, "?"), []).append(i)
    lines = []
    for value, members in groups.items():
        name = f"curves_{_file_part(group_by, value)}.png" if group_by else "curves.png"
        figure_title = f"{title}: {group_by}={value}" if group_by else title
        member_runs = [runs[i] for i in members]
        member_labels = [_without(labels[i], group_by, value) for i in members]
        written = save_curve_figure(out / name, member_runs, member_labels, figure_title, only)
        if written is None:
            lines += [f"No curves logged{f' for {group_by}={value}' if group_by else ''}.", ""]
        else:
            lines += [f"![{figure_title}]({name})", ""]
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
