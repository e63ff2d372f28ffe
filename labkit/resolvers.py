"""OmegaConf resolvers the configs use: W&B mode and group from the environment, job type and tags."""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import OmegaConf

from labkit.wandb_mode import decide_offline


def wandb_offline(run_dir: str | None = None) -> bool:
    """Offline unless the user asked for online (WANDB_MODE=online, or an API key without a mode).

    Online that cannot work (no API key, W&B's host unreachable) falls back to offline within a
    few seconds, with one warning line naming ``wandb sync`` (see ``labkit.wandb_mode``).
    Offline never prompts for a login and never touches the network; ``wandb sync`` uploads
    later. ``run_dir``: the run's W&B ``save_dir``, for that warning (Hydra's run dir if omitted).
    """
    return decide_offline(sync_hint=_offline_runs_pattern(run_dir))


def _offline_runs_pattern(run_dir: str | None) -> str:
    """Where this process's offline W&B runs land: the run dir's, or every job's of a sweep."""
    if HydraConfig.initialized():
        hydra_cfg = HydraConfig.get()
        if hydra_cfg.mode == RunMode.MULTIRUN:  # one decision for the process: all its jobs
            return f"{hydra_cfg.sweep.dir}/*/wandb/offline-run-*"
        run_dir = run_dir or hydra_cfg.runtime.get("output_dir")
    return f"{run_dir or '<run dir>'}/wandb/offline-run-*"


def wandb_group(task_name: str) -> str:
    """Runs of one sweep share a group (the task plus the sweep's start time); single runs use the task."""
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return f"{task_name}-{Path(HydraConfig.get().sweep.dir).name}"
    return task_name


def _swept_keys() -> set[str]:
    """Keys a sweep varies: its config's ``hydra.sweeper.params`` and the command line's a,b lists."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    params = HydraConfig.get().sweeper.get("params") or {}
    keys = set(params)
    parser = OverridesParser.create()
    for arg in sys.argv[1:]:
        if "=" not in arg or arg.startswith("-"):
            continue
        try:
            (override,) = parser.parse_overrides([arg])
        except HydraException:
            continue
        if override.is_sweep_override():
            keys.add(override.key_or_group)
    return keys


def wandb_name(task_name: str) -> str:
    """A sweep's job is named by the overrides the sweep varies (``net=cnn,optimizer=sgd``).

    Its task is already the group's name (see ``wandb_group``). A single run, or a job whose
    overrides cannot be told apart, is named by the task.
    """
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return task_name
    from hydra.core.override_parser.overrides_parser import OverridesParser

    swept = _swept_keys()
    task = list(HydraConfig.get().overrides.task)  # as written: lr=1e30, not 1e+30
    job = OverridesParser.create().parse_overrides(task)
    parts = [text for text, o in zip(task, job, strict=True) if o.key_or_group in swept]
    return ",".join(parts) or task_name


def wandb_job_type(train: bool) -> str:
    """``train`` for a run that trains; ``eval`` for one that only tests a checkpoint (train=false)."""
    return "train" if train else "eval"


def wandb_tags(tags: list[str], train: bool) -> list[str]:
    """The experiment's tags, plus ``eval`` for a run that only tests a checkpoint."""
    return [*tags, *([] if train else ["eval"])]


def register_resolvers() -> None:
    for name, fn in (
        ("wandb_offline", wandb_offline),
        ("wandb_group", wandb_group),
        ("wandb_name", wandb_name),
        ("wandb_job_type", wandb_job_type),
        ("wandb_tags", wandb_tags),
    ):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
