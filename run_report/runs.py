"""Find the runs under a folder and read what each left: .hydra/, summary.json, metrics.csv."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from labkit.errors import LabkitError
from run_report.metric_series import MetricSeries, read_metric_series

T = TypeVar("T")


class NoRunError(LabkitError):
    """The folder given to report.py holds no run."""


class UnreadableFileError(LabkitError):
    """A file of a run or a sweep is there but cannot be parsed; ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


class WrongShapeError(ValueError):
    """A file parses, but into the wrong kind of thing (a list where settings belong)."""


# What parsing a run's file can raise when the file, not the code, is at fault.
READ_ERRORS = (OSError, ValueError, yaml.YAMLError, csv.Error, OmegaConfBaseException)


def read_file(path: Path, parse: Callable[[Path], T]) -> T:
    """``parse(path)``, or UnreadableFileError naming ``path`` and why it cannot be read."""
    try:
        return parse(path)
    except READ_ERRORS as err:
        raise UnreadableFileError(path, unreadable_reason(err)) from err


def unreadable_reason(err: BaseException) -> str:
    """Why a file could not be read, on one line, to follow its name: "is not valid YAML (...)"."""
    if isinstance(err, UnicodeDecodeError):
        return f"is not UTF-8 text (byte 0x{err.object[err.start]:02x} at offset {err.start})"
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return f"is not valid YAML ({err.problem or err.context}{where})"
    if isinstance(err, yaml.YAMLError):
        return f"is not valid YAML ({_first_line(err)})"
    if isinstance(err, json.JSONDecodeError):
        cut = err.pos >= len(err.doc.rstrip()) or err.msg.startswith("Unterminated")
        where = f"line {err.lineno}, column {err.colno}"
        return f"is not valid JSON ({err.msg}: {where}{'; cut off?' if cut else ''})"
    if isinstance(err, csv.Error):
        return f"is not a readable CSV file ({_first_line(err)})"
    if isinstance(err, OSError):
        return f"cannot be read ({err.strerror or _first_line(err)})"
    if isinstance(err, WrongShapeError):
        return str(err)
    return f"cannot be parsed ({type(err).__name__}: {_first_line(err)})"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _kind(value: Any) -> str:
    """``a list``, ``a string``, ...: what a file holds instead of what it should."""
    if value is None:
        return "nothing"
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "a mapping"})
    return names.get(type(value), f"a {type(value).__name__}")


def load_config(path: Path) -> DictConfig:
    """A YAML file of settings (Hydra's config.yaml, hydra.yaml, multirun.yaml)."""
    config = OmegaConf.load(path)
    if not isinstance(config, DictConfig):
        raise WrongShapeError("holds a list, not a mapping of settings")
    return config


def _numeric(value: Any) -> float | int | None:
    """``value`` if it is a number (not true/false), else None: summary.json may hold anything."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    """``value`` as a whole number (a parameter or epoch count), None if it is not a finite one."""
    value = _numeric(value)
    return int(value) if value is not None and math.isfinite(value) else None


@dataclass
class Run:
    """One run dir (a single run, or one job of a sweep).

    ``status``: ``finished`` (summary.json from a completed test), ``failed`` (summary.json says
    so, or metrics.csv holds ``run/failed``), ``interrupted`` (summary.json says so: stopped by
    SIGTERM or Ctrl-C, to continue with ``resume=true``), ``unfinished`` (no summary.json: still
    running, or killed), ``unreadable`` (a file is there but cannot be parsed: ``unreadable``
    maps each such file, relative to the run dir, to why), or another status summary.json names.
    ``error``: why it failed or was interrupted, if summary.json says. ``summary`` is
    summary.json (``{}`` without one); ``overrides`` are the job's command-line and sweep
    overrides (``.hydra/overrides.yaml``) as ``{key: value}``.
    """

    path: Path
    name: str
    status: str
    error: str | None
    summary: dict[str, Any]
    overrides: dict[str, str]
    config: DictConfig
    metrics: MetricSeries = field(default_factory=MetricSeries)
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def overrides_known(self) -> bool:
        """False when the run's overrides.yaml is there but unreadable (its ``overrides`` are {})."""
        return OVERRIDES_FILE not in self.unreadable

    def setting(self, key: str, default: Any = None) -> Any:
        """A value of the run's config, None where it cannot be resolved from the file alone."""
        value = OmegaConf.select(
            self.config, key, default=default, throw_on_resolution_failure=False
        )
        return OmegaConf.to_container(value) if isinstance(value, DictConfig) else value

    def final(self, metric: str) -> float | None:
        """summary.json's value of ``metric``, else its last value in metrics.csv."""
        value = _numeric(self.summary.get(metric))
        if value is not None:
            return float(value)
        return self.metrics.last(metric)

    @property
    def params(self) -> int | None:
        count = _count(self.summary.get("params_total"))
        return count if count is not None else _count(self.metrics.last("model/params_total"))

    @property
    def wall_time_s(self) -> float | None:
        return _numeric(self.summary.get("wall_time_s"))

    @property
    def epochs(self) -> int | None:
        epochs = _count(self.summary.get("epochs"))
        if epochs is not None:
            return epochs
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


# A run's files, relative to its run dir, as the report names them.
CONFIG_FILE = ".hydra/config.yaml"
HYDRA_FILE = ".hydra/hydra.yaml"  # the sweeper's settings (an Optuna direction)
OVERRIDES_FILE = ".hydra/overrides.yaml"
SUMMARY_FILE = "summary.json"
METRICS_FILE = "metrics.csv"


def read_run(path: Path, name: str) -> Run:
    """Read one run dir; what it lacks (a killed run's summary.json) shows in ``status``.

    A file that is there but cannot be parsed (corrupt YAML, JSON or CSV, binary bytes, no read
    permission) makes the run ``unreadable``: ``unreadable`` says which file and why, and the run
    keeps only its name and, when they could be read, its overrides and config.
    """
    unreadable: dict[str, str] = {}

    def attempt(relative: str, parse: Callable[[Path], T], default: T) -> T:
        file = path / relative
        try:
            if not file.is_file():
                return default
            return read_file(file, parse)
        except UnreadableFileError as err:
            unreadable[relative] = err.reason
        except OSError as err:  # a folder on the way that this user may not enter
            unreadable[relative] = unreadable_reason(err)
        return default

    config = attempt(CONFIG_FILE, load_config, OmegaConf.create({}))
    hydra = attempt(HYDRA_FILE, load_config, None)
    if hydra is not None:
        try:
            config = OmegaConf.merge(config, hydra)
        except OmegaConfBaseException as err:
            unreadable[HYDRA_FILE] = f"does not merge with {CONFIG_FILE} ({_first_line(err)})"
    overrides = attempt(OVERRIDES_FILE, _read_overrides, {})
    summary = attempt(SUMMARY_FILE, _read_summary, {})
    metrics = attempt(METRICS_FILE, read_metric_series, MetricSeries())
    if unreadable:
        return Run(
            path, name, "unreadable", None, {}, overrides, config, MetricSeries(), unreadable
        )
    status, error = _status(summary, metrics)
    return Run(path, name, status, error, summary, overrides, config, metrics)


def _read_overrides(file: Path) -> dict[str, str]:
    items = yaml.safe_load(file.read_text(encoding="utf-8"))
    if items is None:
        return {}
    if not isinstance(items, list):
        raise WrongShapeError(f"holds {_kind(items)}, not a list of overrides")
    overrides: dict[str, str] = {}
    for item in items:
        key, _, value = str(item).partition("=")
        overrides[key] = value
    return overrides


def _read_summary(file: Path) -> dict[str, Any]:
    summary = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(summary, dict):
        raise WrongShapeError(f"holds {_kind(summary)}, not a JSON object")
    return summary


def _status(summary: dict[str, Any], metrics: MetricSeries) -> tuple[str, str | None]:
    """``(status, why)`` from summary.json's ``status`` (and ``error`` or ``message``), else from
    metrics.csv (``run/failed``), else ``unfinished``; a status this does not know is shown as is."""
    status = summary.get("status")
    why = summary.get("error") or summary.get("message")
    why = None if why is None else str(why)
    if status in ("failed", "interrupted"):
        return status, why
    if metrics.last("run/failed"):
        step = metrics.last("run/nonfinite_step")
        where = f" at step {int(step)}" if step is not None else ""
        return "failed", f"non-finite training loss{where}"
    if not summary:
        return "unfinished", None
    if status in (None, "", "finished"):
        return "finished", None
    return str(status), why
