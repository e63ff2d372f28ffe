"""Send files and tables to every W&B logger of a trainer (no-ops without one)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger


def wandb_loggers(trainer: pl.Trainer) -> list[WandbLogger]:
    return [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]


def log_image_files(trainer: pl.Trainer, key: str, paths: Sequence[str | Path]) -> None:
    """Log PNG files as ``wandb.Image`` under ``key`` (they land in the run's ``files/media/``)."""
    for logger in wandb_loggers(trainer):
        logger.log_image(key=key, images=[str(p) for p in paths], step=trainer.global_step)


def log_table(trainer: pl.Trainer, key: str, columns: list[str], rows: list[list]) -> None:
    for logger in wandb_loggers(trainer):
        logger.log_table(key=key, columns=columns, data=rows, step=trainer.global_step)


def set_summary(trainer: pl.Trainer, values: dict) -> None:
    """Write run-level values (not time series) into the W&B run summary."""
    for logger in wandb_loggers(trainer):
        logger.experiment.summary.update(values)
