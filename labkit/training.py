"""Compose a run from its config: build data, model, callbacks, loggers, trainer; fit; test best."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import LearningRateMonitor
from pytorch_lightning.loggers import WandbLogger

from labkit.checkpoints import check_checkpoint_fits, resume_path
from labkit.config_checks import check_config, check_entry
from labkit.runtime import set_threads, skip_gpu_probe_without_gpus

log = logging.getLogger(__name__)


def _instantiate_all(group: DictConfig | None) -> list[Any]:
    """Every entry of a config group that has a ``_target_`` (entries set to null are skipped)."""
    if not group:
        return []
    return [hydra.utils.instantiate(node) for node in group.values() if node and "_target_" in node]


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit ``cfg.model`` on ``cfg.data`` and test the best checkpoint; returns the final metrics.

    Returns the test metrics (plus ``val/acc_best``), so a sweeper can optimise any of them.
    """
    check_entry(cfg, "train")
    check_config(cfg)
    set_threads(cfg.get("threads"))
    skip_gpu_probe_without_gpus()
    pl.seed_everything(cfg.seed, workers=True)

    wandb_nodes = [
        node
        for node in (cfg.get("logger") or {}).values()
        if isinstance(node, DictConfig) and "WandbLogger" in str(node.get("_target_", ""))
    ]
    if wandb_nodes:
        _start_wandb_service_in_background(offline=bool(wandb_nodes[0].get("offline", False)))
    datamodule: pl.LightningDataModule = hydra.utils.instantiate(cfg.data)
    if hasattr(datamodule, "start_loading"):
        datamodule.start_loading()  # data on disk loads while the rest of the run is built
    model: pl.LightningModule = hydra.utils.instantiate(cfg.model)
    callbacks = _instantiate_all(cfg.get("callbacks"))
    loggers = _instantiate_all(cfg.get("logger"))
    if not loggers:
        # With logger=none there is nowhere to log learning rates to, and Lightning's
        # LearningRateMonitor would stop the run at its start.
        callbacks = [cb for cb in callbacks if not isinstance(cb, LearningRateMonitor)]
    ckpt_path = resume_path(cfg.get("ckpt_path"), cfg.get("resume", False), cfg.paths.output_dir)
    if ckpt_path:
        check_checkpoint_fits(ckpt_path, model)
    trainer: pl.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers)

    try:
        # The resolved config goes to W&B; on disk it is already in the run's .hydra/config.yaml.
        resolved = OmegaConf.to_container(cfg, resolve=True)
        for lg in trainer.loggers:
            if isinstance(lg, WandbLogger):
                lg.log_hyperparams(resolved)
        if cfg.get("train", True):
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if cfg.get("test", True):
            best = (
                trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
            )
            trainer.test(model, datamodule=datamodule, ckpt_path=best or None)
            metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
    except BaseException as err:
        _record_failure(cfg.paths.output_dir, err)
        _close_wandb(exit_code=1)  # marks the W&B run as failed
        raise
    _close_wandb(exit_code=0)
    return metrics


def _start_wandb_service_in_background(offline: bool) -> None:
    """Start W&B's helper process while the data load, instead of on the run's critical path."""
    import wandb

    # The mode must be the logger's: setup fixes the process-wide defaults, and an "online"
    # default there would make the later offline init ask for a login.
    settings = wandb.Settings(mode="offline" if offline else "online")
    threading.Thread(
        target=wandb.setup, kwargs={"settings": settings}, name="wandb-setup", daemon=True
    ).start()


def _record_failure(output_dir: str, err: BaseException) -> None:
    """Leave the failure in the run dir, beside metrics.csv, for readers without W&B."""
    status = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
    (Path(output_dir) / "summary.json").write_text(json.dumps(status, indent=2) + "\n")


def _close_wandb(exit_code: int) -> None:
    """Finish the W&B run even on a crash, so its files are complete and a sweep's next job starts clean."""
    import wandb

    if wandb.run is not None:
        wandb.finish(exit_code=exit_code)
