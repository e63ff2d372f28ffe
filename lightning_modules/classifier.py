"""Single-label classification with cross-entropy."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from labkit.errors import ConfigError
from lightning_modules.base import OptimizerFactory, TrainingModule


class ImageClassifier(TrainingModule):
    """Cross-entropy classifier around any ``net``: ``x: (N, C, H, W) -> logits (N, num_classes)``.

    Logs ``loss`` and ``acc`` per stage (``train/loss`` per step, ``train/loss_epoch``,
    ``train/acc``, ``val/loss``, ``val/acc``, ``test/loss``, ``test/acc``) and ``val/acc_best``
    (``**options``: scheduler, steps_per_execution, monitor, ...: see
    :class:`~lightning_modules.base.TrainingModule`).

    Args:
        num_classes: number of classes; the net's output width is checked against it.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        num_classes: int,
        **options: Any,
    ) -> None:
        super().__init__(net, optimizer, ("loss", "acc"), **options)
        # The net lives in the state dict and the factories in the run's config; checkpoints then
        # hold only plain data and load with torch.load(weights_only=True).
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.num_classes = num_classes
        self.criterion = nn.CrossEntropyLoss()

    def loss_and_statistics(self, batch: tuple[torch.Tensor, torch.Tensor]):
        """``x: (N, C, H, W)``, ``y: (N,)`` class indices."""
        x, y = batch
        logits = self(x)
        if logits.ndim != 2 or logits.shape[-1] != self.num_classes:
            raise ConfigError(
                f"The net outputs {logits.shape[-1]} logits per sample but the model has "
                f"num_classes={self.num_classes}; set the net's output size "
                f"(e.g. model.net.out_features) to {self.num_classes}."
            )
        loss = self.criterion(logits, y)
        return loss, {"loss": loss, "acc": (logits.argmax(dim=1) == y).float().mean()}

    def predict_labels(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted class per sample, ``(N,)``."""
        return self(x).argmax(dim=1)
