"""What distinguishes the jobs of a sweep: the overrides it sweeps, and any whose values differ."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf

from figures.number_format import format_number
from run_report.runs import Run, load_config, read_file


def sweep_plan(sweep_dir: Path) -> dict[str, list[str] | None]:
    """``{key: values}`` the sweep in ``sweep_dir`` varies, from its ``multirun.yaml``: the
    sweeper's ``params`` and the command line's sweep overrides (``lr=0.1,0.01``). Values are
    None for a search over a range (Optuna's ``interval``); ``{}`` without the file.

    UnreadableFileError when the file is there but cannot be parsed.
    """
    path = sweep_dir / "multirun.yaml"
    if not path.is_file():
        return {}
    return read_file(path, _plan_in)


def _plan_in(path: Path) -> dict[str, list[str] | None]:
    config = load_config(path)
    params = OmegaConf.select(
        config, "hydra.sweeper.params", default=None, throw_on_resolution_failure=False
    )
    task = OmegaConf.select(
        config, "hydra.overrides.task", default=None, throw_on_resolution_failure=False
    )
    texts = []
    if isinstance(params, DictConfig):
        texts += [f"{key}={value}" for key, value in params.items()]
    if isinstance(task, ListConfig):
        texts += [str(t) for t in task]
    parser = OverridesParser.create()
    plan: dict[str, list[str] | None] = {}
    for text in texts:
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException:
            continue
        if override.is_sweep_override():
            discrete = override.is_discrete_sweep()
            plan[override.key_or_group] = (
                list(override.sweep_string_iterator()) if discrete else None
            )
    return plan


def planned_jobs(plan: dict[str, list[str] | None]) -> int | None:
    """Jobs of a grid sweep (the product of its value lists); None for a search or no plan."""
    if not plan or any(values is None for values in plan.values()):
        return None
    count = 1
    for values in plan.values():
        count *= len(values)
    return count


def distinguishing_keys(runs: Sequence[Run], swept: Sequence[str] = ()) -> list[str]:
    """``swept`` keys, then override keys whose value is not the same in every run."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.overrides if k not in keys]
    differing = [k for k in keys if len({run.overrides.get(k) for run in runs}) > 1]
    return [*swept, *(k for k in differing if k not in swept)]


def label(run: Run, keys: Sequence[str]) -> str:
    """``net=cnn optimizer=sgd``: the run's values of ``keys`` (empty when it has none).

    Values with a fractional part or an exponent are shown with 4 significant digits, so that an
    Optuna trial reads ``model.optimizer.lr=0.01117``, not ``0.0111654646702134``.
    """
    return " ".join(f"{k}={_short(run.overrides[k])}" for k in keys if k in run.overrides)


def _short(value: str) -> str:
    if not any(c in value for c in ".eE"):
        return value  # ints, names, lists: as written
    try:
        return format_number(float(value))
    except ValueError:
        return value
