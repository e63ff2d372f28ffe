"""The settings a run is planned on, kept in its checkpoints so that a resume can check them.

A resume restores the optimizer and the learning-rate schedule as they were: a cosine schedule
planned for 3 epochs stays planned for 3 epochs, whatever ``trainer.max_epochs`` says now, and
the extra epochs would run at learning rate 0. And it continues on the data it started on: with
another ``data.split_seed`` validation images would move into training, with another seed the
shuffling and initialisation would no longer be the run's. So ``resume=true`` refuses to go on
when any of these settings differ from the checkpoint's run, and says how to train longer instead.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig, ListConfig, OmegaConf

from labkit.checkpoints import read_checkpoint
from labkit.errors import ConfigError

# What fixes the schedule: its length (epochs, steps, steps per epoch) and the optimizer and
# scheduler settings that a restored state would silently override.
PLAN_KEYS = (
    "trainer.max_epochs",
    "trainer.max_steps",
    "data.batch_size",
    "model.optimizer",
    "model.scheduler",
    "model.scheduler_interval",
    "seed",
    "data",
)
# Keys under data that say where files are or how they are loaded, not what the data is.
DATA_KEYS_NOT_PLANNED = frozenset(
    {
        "data_dir",
        "labkit_data",
        "download",
        "eval_batch_size",
        "num_workers",
        "progress",
        "on_device",
    }
)
CHECKPOINT_KEY = "run_plan"


def run_plan(cfg: DictConfig) -> dict[str, Any]:
    """The resolved values of PLAN_KEYS, one entry per leaf (``model.scheduler.T_max``: 10)."""
    plan: dict[str, Any] = {}
    for key in PLAN_KEYS:
        value = OmegaConf.select(cfg, key, default=None)
        if isinstance(value, DictConfig | ListConfig):
            value = OmegaConf.to_container(value, resolve=True)
        if key == "data" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in DATA_KEYS_NOT_PLANNED}
        _flatten(key, value, plan)
    return plan


def _flatten(key: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{key}.{k}", v, into)
    else:
        into[key] = value


class RunPlanInCheckpoints(pl.Callback):
    """Stores ``plan`` in every checkpoint the run saves (key ``run_plan``)."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint[CHECKPOINT_KEY] = self.plan


def check_resume_keeps_plan(path: str, plan: dict[str, Any]) -> None:
    """Raise ConfigError naming every plan setting that differs from the run of checkpoint ``path``.

    Checkpoints written before plans were stored carry none: nothing to compare. Those written
    before a part of the plan was stored (the data and seed) are compared on the rest.
    """
    saved = read_checkpoint(path).get(CHECKPOINT_KEY)
    if saved is None:
        return
    older = "seed" not in saved  # saved before the data and seed were part of the plan
    differ = [
        k
        for k in sorted(saved.keys() | plan.keys())
        if saved.get(k) != plan.get(k) and (k in saved or not older)
    ]
    if not differ:
        return
    changes = "; ".join(f"{k}: {saved.get(k)!r} in that run, {plan.get(k)!r} now" for k in differ)
    raise ConfigError(
        f"resume=true continues the run of {path} as it was planned, but these settings differ "
        f"from it: {changes}. The restored optimizer, learning-rate schedule and data order would "
        "not match them. Resume with the run's own settings; to train longer, start a new run from "
        f"its weights (a fresh optimizer and schedule, epochs counted from 0): python train.py "
        f"<overrides> trainer.max_epochs=<more epochs> ckpt_path={path}"
    )
