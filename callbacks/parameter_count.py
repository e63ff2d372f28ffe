"""Record the model's parameter counts with the run (a metrics row and the W&B summary)."""

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import set_summary


class ParameterCount(pl.Callback):
    """Logs ``model/params_total`` and ``model/params_trainable`` once, at fit start.

    A run resumed from a checkpoint does not log them again: its metrics.csv already holds them.
    """

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        params = list(pl_module.parameters())
        counts = {
            "model/params_total": sum(p.numel() for p in params),
            "model/params_trainable": sum(p.numel() for p in params if p.requires_grad),
        }
        if trainer.ckpt_path is None:
            for logger in trainer.loggers:
                logger.log_metrics(counts, step=0)
        set_summary(trainer, counts)
