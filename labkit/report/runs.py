"""Find the runs under a folder and read what each left: .hydra/, summary.json, metrics.csv."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from labkit.errors import LabkitError
from labkit.report.metric_series import MetricSeries, read_metric_series


class NoRunError(LabkitError):
    """The folder given to report.py holds no run."""


@dataclass
class Run:
    """One run dir (a single run, or one job of a sweep).

    ``status``: ``finished`` (summary.json from a completed test), ``failed`` (summary.json says
    so, or metrics.csv holds ``run/failed``), or ``unfinished`` (no summary.json: still running,
    or killed). ``summary`` is summary.json (``{}`` without one); ``overrides`` are the job's
    command-line and sweep overrides (``.hydra/overrides.yaml``) as ``{key: value}``.
    """

    path: Path
    name: str
    status: str
    error: str | None
    summary: dict[str, Any]
    overrides: dict[str, str]
    config: DictConfig
    metrics: MetricSeries = field(default_factory=MetricSeries)

    def setting(self, key: str, default: Any = None) -> Any:
        """A value of the run's config, None where it cannot be resolved from the file alone."""
        value = OmegaConf.select(
            self.config, key, default=default, throw_on_resolution_failure=False
        )
        return OmegaConf.to_container(value) if isinstance(value, DictConfig) else value

    def final(self, metric: str) -> float | None:
        """summary.json's value of ``metric``, else its last value in metrics.csv."""
        value = self.summary.get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return self.metrics.last(metric)

    @property
    def params(self) -> int | None:
        count = self.summary.get("params_total")
        if count is None:
            count = self.metrics.last("model/params_total")
        return None if count is None else int(count)

    @property
    def wall_time_s(self) -> float | None:
        return self.summary.get("wall_time_s")

    @property
    def epochs(self) -> int | None:
        if "epochs" in self.summary:
            return self.summary["epochs"]
        epochs = [p.epoch for s in self.metrics.points.values() for p in s if p.epoch is not None]
        return max(epochs) + 1 if epochs else None


def is_run_dir(path: Path) -> bool:
    return (path / ".hydra" / "config.yaml").is_file() or (path / "metrics.csv").is_file()


def _numeric_first(path: Path) -> tuple[int, int | str]:
    return (0, int(path.name)) if path.name.isdigit() else (1, path.name)


def find_runs(path: Path) -> tuple[list[Path], bool]:
    """``([run dirs], is_sweep)`` for a run dir or a sweep dir (its jobs, in job order).

    NoRunError with what to pass instead when ``path`` holds no run.
    """
    if not path.exists():
        raise NoRunError(
            f"{path} does not exist. Give a run dir (outputs/<task>/<time>) or a "
            f"sweep dir (multirun/<task>/<time>)."
        )
    if not path.is_dir():
        raise NoRunError(f"{path} is a file; give the run dir or sweep dir that holds it.")
    if is_run_dir(path):
        return [path], False
    jobs = sorted((p for p in path.iterdir() if p.is_dir() and is_run_dir(p)), key=_numeric_first)
    if jobs:
        return jobs, True
    deeper = sorted({p.parent for p in path.glob("*/*") if p.is_dir() and is_run_dir(p)}, key=str)
    hint = (
        f" It holds sweeps or runs one level down: {', '.join(str(d) for d in deeper[:5])}"
        f"{' ...' if len(deeper) > 5 else ''}; pass one of them."
        if deeper
        else " A run dir holds .hydra/config.yaml and metrics.csv (outputs/<task>/<time>); a "
        "sweep dir holds one such dir per job (multirun/<task>/<time>)."
    )
    raise NoRunError(f"{path} holds no run.{hint}")


def read_run(path: Path, name: str) -> Run:
    """Read one run dir; what it lacks (a killed run's summary.json) shows in ``status``."""
    config_file = path / ".hydra" / "config.yaml"
    config = OmegaConf.load(config_file) if config_file.is_file() else OmegaConf.create({})
    hydra_file = path / ".hydra" / "hydra.yaml"  # the sweeper's settings (an Optuna direction)
    if hydra_file.is_file():
        config = OmegaConf.merge(config, OmegaConf.load(hydra_file))
    overrides_file = path / ".hydra" / "overrides.yaml"
    overrides: dict[str, str] = {}
    if overrides_file.is_file():
        for item in yaml.safe_load(overrides_file.read_text()) or []:
            key, _, value = str(item).partition("=")
            overrides[key] = value
    summary: dict[str, Any] = {}
    summary_file = path / "summary.json"
    if summary_file.is_file():
        try:
            summary = json.loads(summary_file.read_text())
        except json.JSONDecodeError:
            summary = {"status": "failed", "error": "summary.json is not valid JSON (cut off?)"}
    steps = (
        OmegaConf.select(
            config, "steps_per_execution", default=1, throw_on_resolution_failure=False
        )
        or 1
    )
    metrics_file = path / "metrics.csv"
    metrics = (
        read_metric_series(metrics_file, int(steps)) if metrics_file.is_file() else MetricSeries()
    )
    status, error = _status(summary, metrics)
    return Run(path, name, status, error, summary, overrides, config, metrics)


def _status(summary: dict[str, Any], metrics: MetricSeries) -> tuple[str, str | None]:
    if summary.get("status") == "failed":
        return "failed", summary.get("error")
    if metrics.last("run/failed"):
        step = metrics.last("run/nonfinite_step")
        where = f" at step {int(step)}" if step is not None else ""
        return "failed", f"non-finite training loss{where}"
    if summary:
        return "finished", None
    return "unfinished", None
