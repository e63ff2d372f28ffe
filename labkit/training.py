"""Compose a run from its config: build data, model, callbacks, loggers, trainer; fit; test best."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import LearningRateMonitor
from pytorch_lightning.loggers import WandbLogger

from labkit.checkpoint_io import ChecksummedCheckpointIO
from labkit.checkpoints import (
    check_checkpoint_fits,
    checkpoint_position,
    load_weights,
    resume_path,
    tested_checkpoint,
)
from labkit.config_checks import check_config, check_entry
from labkit.device_checks import check_devices
from labkit.errors import LabkitError
from labkit.interrupts import RunInterrupted, received_signal
from labkit.optimized_metric import check_optimized_metric
from labkit.run_plan import RunPlanInCheckpoints, check_resume_keeps_plan, run_plan
from labkit.run_record import record_end
from labkit.runtime import set_threads, skip_gpu_probe_without_gpus
from labkit.wandb_run_id import wandb_run_id

log = logging.getLogger(__name__)


def _instantiate_all(group: DictConfig | None) -> list[Any]:
    """Every entry of a config group that has a ``_target_`` (entries set to null are skipped)."""
    if not group:
        return []
    return [hydra.utils.instantiate(node) for node in group.values() if node and "_target_" in node]


def _is_wandb(node: Any) -> bool:
    return isinstance(node, DictConfig) and "WandbLogger" in str(node.get("_target_", ""))


def _instantiate_loggers(group: DictConfig | None, wandb_id: str | None) -> list[Any]:
    """The loggers of ``group``; a W&B one gets the run dir's W&B run id (see wandb_run_id)."""
    return [
        hydra.utils.instantiate(node, **({"id": wandb_id} if _is_wandb(node) else {}))
        for node in (group or {}).values()
        if node and "_target_" in node
    ]


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit ``cfg.model`` on ``cfg.data`` and test the best checkpoint; returns the final metrics.

    With ``train=false``, tests the checkpoint ``ckpt_path`` instead (an evaluation run).
    Returns the test metrics (plus ``val/acc_best``), so a sweeper can optimise any of them.
    """
    check_entry(cfg, "train")
    check_config(cfg)
    check_devices(cfg.trainer)
    fitting = cfg.get("train", True)
    resuming = fitting and cfg.get("resume", False)  # continuing this run dir's run
    ckpt_path = resume_path(cfg.get("ckpt_path"), resuming, cfg.paths.output_dir, fitting)
    set_threads(cfg.get("threads"))
    skip_gpu_probe_without_gpus()
    pl.seed_everything(cfg.seed, workers=True)

    wandb_nodes = [node for node in (cfg.get("logger") or {}).values() if _is_wandb(node)]
    if wandb_nodes:
        _start_wandb_service_in_background(offline=bool(wandb_nodes[0].get("offline", False)))
    # Plain lists, not OmegaConf's: the DataModule's arguments go into checkpoints, which load
    # with torch.load(weights_only=True).
    datamodule: pl.LightningDataModule = hydra.utils.instantiate(cfg.data, _convert_="all")
    if not ckpt_path:
        _start_loading(datamodule)
    model: pl.LightningModule = hydra.utils.instantiate(cfg.model)
    if fitting:
        check_optimized_metric(cfg.get("optimized_metric"), model)
    plan = run_plan(cfg)
    if ckpt_path:  # checked before any data is read: a checkpoint that does not fit is refused
        check_checkpoint_fits(ckpt_path, model)
        if resuming:
            check_resume_keeps_plan(ckpt_path, plan)
        else:  # an evaluation, or a new run from these weights (its own optimizer and schedule)
            load_weights(ckpt_path, model)
        _start_loading(datamodule)
    callbacks = [*_instantiate_all(cfg.get("callbacks")), RunPlanInCheckpoints(plan)]
    wandb_id = wandb_run_id(cfg.paths.output_dir, resuming) if wandb_nodes else None
    loggers = _instantiate_loggers(cfg.get("logger"), wandb_id)
    if not loggers:
        # With logger=none there is nowhere to log learning rates to, and Lightning's
        # LearningRateMonitor would stop the run at its start.
        callbacks = [cb for cb in callbacks if not isinstance(cb, LearningRateMonitor)]
    trainer: pl.Trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=callbacks,
        logger=loggers,
        plugins=[ChecksummedCheckpointIO()],
    )

    try:
        # The resolved config goes to W&B; on disk it is already in the run's .hydra/config.yaml.
        resolved = OmegaConf.to_container(cfg, resolve=True)
        for lg in trainer.loggers:
            if isinstance(lg, WandbLogger):
                lg.log_hyperparams(resolved)
        if fitting:
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path if resuming else None)
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if cfg.get("test", True):
            # After a fit, its best checkpoint; in an evaluation, the weights loaded above.
            callback = trainer.checkpoint_callback if fitting else None
            best = tested_checkpoint(callback, cfg.paths.output_dir)
            # verbose=False: the run_summary callback prints the run's one results table.
            trainer.test(model, datamodule=datamodule, ckpt_path=best, verbose=False)
            metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
    except BaseException as err:
        signum = received_signal() or (
            signal.SIGINT if isinstance(err, KeyboardInterrupt) else None
        )
        if signum is None:
            record_end(Path(cfg.paths.output_dir), "failed", _failure_text(err))
            _close_wandb(exit_code=1)  # marks the W&B run as failed
            raise
        detail = _record_interruption(Path(cfg.paths.output_dir), signum)
        _close_wandb(exit_code=128 + signum)
        raise RunInterrupted(signum, detail) from err
    _close_wandb(exit_code=0)
    return metrics


def _failure_text(err: BaseException) -> str:
    """A user error's own message (what the console showed); otherwise the exception's type too."""
    return str(err) if isinstance(err, LabkitError) else f"{type(err).__name__}: {err}"


def _record_interruption(run_dir: Path, signum: int) -> str:
    """Record the run ``interrupted`` in summary.json; returns the sentence on how to continue."""
    last = run_dir / "checkpoints" / "last.ckpt"
    position = checkpoint_position(last)
    command = " ".join(
        ["python train.py", *_job_overrides(), "resume=true", f"hydra.run.dir={run_dir}"]
    )
    if position is None:
        detail = "No checkpoint was saved yet: run it again from the start."
    else:
        detail = f"checkpoints/last.ckpt holds {position}; continue with: {command}"
    name = signal.Signals(signum).name
    record_end(run_dir, "interrupted", f"{name}: {detail}", signal=name)
    return detail


def _job_overrides() -> list[str]:
    """This run's own overrides (a sweep job's: its values), as on its command line."""
    if not HydraConfig.initialized():
        return ["<overrides>"]
    return [o for o in HydraConfig.get().overrides.task if not o.startswith("resume=")]


def _start_loading(datamodule: pl.LightningDataModule) -> None:
    """Data on disk loads in the background while the rest of the run is built."""
    if hasattr(datamodule, "start_loading"):
        datamodule.start_loading()


def _start_wandb_service_in_background(offline: bool) -> None:
    """Start W&B's helper process while the data load, instead of on the run's critical path."""
    import wandb

    # The mode must be the logger's: setup fixes the process-wide defaults, and an "online"
    # default there would make the later offline init ask for a login.
    # show_warnings=False: Lightning's WandbLogger passes anonymous=None to every wandb.init,
    # which wandb (>= 0.23) answers with "The anonymous setting has no effect"; and its offline
    # switch sets WANDB_MODE=dryrun after this setup read the environment, which wandb answers
    # with "Changes to your `wandb` environment variables will be ignored". W&B's errors still show.
    settings = wandb.Settings(mode="offline" if offline else "online", show_warnings=False)
    threading.Thread(
        target=wandb.setup, kwargs={"settings": settings}, name="wandb-setup", daemon=True
    ).start()


def _close_wandb(exit_code: int) -> None:
    """Finish the W&B run even on a crash, so its files are complete and a sweep's next job starts clean."""
    import wandb

    if wandb.run is not None:
        wandb.finish(exit_code=exit_code)
