"""Record the model's parameter counts with the run (the log, a metrics row, the W&B summary)."""

import logging

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import set_summary
from nets.parameter_count import count_parameters

log = logging.getLogger(__name__)


class ParameterCount(pl.Callback):
    """Logs ``model/params_total`` and ``model/params_trainable`` once, at fit start.

    The count also goes to the run's log (``train.log``, the terminal). A run resumed from a
    checkpoint does not log them to the loggers again: its metrics.csv already holds them.
    """

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        counts = {
            "model/params_total": count_parameters(pl_module),
            "model/params_trainable": count_parameters(pl_module, trainable_only=True),
        }
        net = getattr(pl_module, "net", pl_module)
        log.info("%s: %s parameters", type(net).__name__, f"{counts['model/params_total']:,}")
        if trainer.ckpt_path is None:
            for logger in trainer.loggers:
                logger.log_metrics(counts, step=0)
        set_summary(trainer, counts)
