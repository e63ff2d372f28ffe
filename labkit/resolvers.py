"""OmegaConf resolvers the configs use: W&B mode and group from the environment, job type and tags."""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import ListConfig, OmegaConf

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
    for arg in _sweep_command_line():
        if "=" not in arg or arg.startswith("-"):
            continue
        try:
            (override,) = parser.parse_overrides([arg])
        except HydraException:
            continue
        if override.is_sweep_override():
            keys.add(override.key_or_group)
    return keys


def _sweep_command_line() -> list[str]:
    """The sweep's overrides as typed: from its multirun.yaml, which a job in a pool's process
    (whose own command line is the pool worker's) reads too; else this process's arguments."""
    record = Path(HydraConfig.get().sweep.dir) / "multirun.yaml"
    if record.is_file():
        try:
            return [str(o) for o in OmegaConf.load(record).hydra.overrides.task]
        except Exception:  # a damaged record: the command line is the next best source
            pass
    return sys.argv[1:]


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


def wandb_tags(tags: list[str], train: bool) -> ListConfig:
    """The experiment's tags, plus ``eval`` for a run that only tests a checkpoint.

    A ListConfig, not a list: ``OmegaConf.resolve`` (``--cfg job --resolve``) cannot put a
    plain list where the interpolation was.
    """
    return OmegaConf.create([*tags, *([] if train else ["eval"])])


def pool_threads() -> int | None:
    """A joblib pool job's share of the cores (``labkit.job_pool``); None elsewhere."""
    from labkit.job_pool import threads_for_this_job

    return threads_for_this_job()


def pool_devices(devices: int) -> object:
    """A joblib pool job's own GPU on a machine with several (``labkit.job_pool``); else ``devices``."""
    from labkit.job_pool import devices_for_this_job

    value = devices_for_this_job(devices)
    return OmegaConf.create(value) if isinstance(value, list) else value  # see wandb_tags


def slurm_tasks_per_node(devices: object) -> int:
    """SLURM tasks per node for ``trainer.devices`` (``labkit.slurm_jobs``)."""
    from labkit.slurm_jobs import tasks_per_node

    return tasks_per_node(devices)


def slurm_gpus_per_node(accelerator: str, devices: object) -> int | None:
    """SLURM GPUs per node for the trainer (``labkit.slurm_jobs``)."""
    from labkit.slurm_jobs import gpus_per_node

    return gpus_per_node(accelerator, devices)


def register_resolvers() -> None:
    for name, fn in (
        ("slurm_tasks_per_node", slurm_tasks_per_node),
        ("slurm_gpus_per_node", slurm_gpus_per_node),
        ("pool_threads", pool_threads),
        ("pool_devices", pool_devices),
        ("wandb_offline", wandb_offline),
        ("wandb_group", wandb_group),
        ("wandb_name", wandb_name),
        ("wandb_job_type", wandb_job_type),
        ("wandb_tags", wandb_tags),
    ):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
