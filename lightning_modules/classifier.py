"""Training logic for single-label classification with cross-entropy."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import MaxMetric, MeanMetric
from torchmetrics.classification import MulticlassAccuracy

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]


class ImageClassifier(pl.LightningModule):
    """Cross-entropy classifier around any ``net``: ``x: (N, C, H, W) -> logits (N, num_classes)``.

    Logs ``{train,val,test}/loss`` and ``/acc`` (per step for train, per epoch for all) and
    ``val/acc_best``. Metrics are torchmetrics objects, so they sync across DDP processes.

    Args:
        net: the network (built from config and passed in; this class knows no architecture).
        optimizer: partial optimizer, called with the parameters.
        scheduler: optional partial LR scheduler, called with the optimizer; stepped per epoch.
        num_classes: number of classes, for the accuracy metrics.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        num_classes: int,
        scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        # The net lives in the state dict and the factories in the run's config; checkpoints then
        # hold only plain data and load with torch.load(weights_only=True).
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.criterion = nn.CrossEntropyLoss()
        self.acc = nn.ModuleDict(
            {
                stage: MulticlassAccuracy(num_classes, average="micro")
                for stage in ("tr", "val", "test")
            }
        )
        self.mean_loss = nn.ModuleDict({stage: MeanMetric() for stage in ("tr", "val", "test")})
        # Persistent: saved in checkpoints, so a resumed run remembers the best accuracy so far.
        self.val_acc_best = MaxMetric()
        self.val_acc_best.persistent(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = self.criterion(logits, y)
        key = "tr" if stage == "train" else stage  # "train" is a reserved ModuleDict attribute
        self.mean_loss[key].update(loss, weight=len(y))
        self.acc[key].update(logits.argmax(dim=1), y)
        if stage == "train":
            # Per-step value for the dashboards; the batch-weighted epoch mean comes from the metric.
            self.log("train/loss", loss, on_step=True, on_epoch=False, prog_bar=True)
            self.log("train/loss_epoch", self.mean_loss[key], on_step=False, on_epoch=True)
        else:
            self.log(
                f"{stage}/loss", self.mean_loss[key], on_step=False, on_epoch=True, prog_bar=True
            )
        self.log(f"{stage}/acc", self.acc[key], on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            return
        self.val_acc_best(self.acc["val"].compute())
        self.log("val/acc_best", self.val_acc_best.compute(), prog_bar=False)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def configure_optimizers(self) -> dict:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        scheduler = self.scheduler_factory(optimizer=optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }
