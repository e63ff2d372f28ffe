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
    (``**options``: scheduler, monitor, ...: see
    :class:`~lightning_modules.base.TrainingModule`).

    Args:
        num_classes: number of classes; the net's output width is checked against it.
        label_smoothing: the training loss's target puts this much probability mass spread evenly
            over all classes (0: one-hot targets). Validation and test losses stay plain
            cross-entropy, so they compare across runs.
        mirror_averaging: outside training (validation, test, predictions) the logits are the
            mean of the image's and its left-right mirror's (test-time augmentation), for nets
            trained on mirrored images. Costs a second forward pass per evaluated image.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        num_classes: int,
        label_smoothing: float = 0.0,
        mirror_averaging: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(net, optimizer, ("loss", "acc"), **options)
        # The net lives in the state dict and the factories in the run's config; checkpoints then
        # hold only plain data and load with torch.load(weights_only=True).
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigError(f"model.label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.num_classes = num_classes
        self.criterion = nn.CrossEntropyLoss()
        self.training_criterion = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        self.mirror_averaging = mirror_averaging

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, C, H, W) -> (N, num_classes)``, mirror-averaged outside training if asked."""
        if self.mirror_averaging and not self.training:
            return (self(x) + self(x.flip(-1))) / 2
        return self(x)

    def loss_and_statistics(self, batch: tuple[torch.Tensor, torch.Tensor]):
        """``x: (N, C, H, W)``, ``y: (N,)`` class indices."""
        x, y = batch
        logits = self.logits(x)
        if logits.ndim != 2 or logits.shape[-1] != self.num_classes:
            raise ConfigError(
                f"The net outputs {logits.shape[-1]} logits per sample but the model has "
                f"num_classes={self.num_classes}; set the net's output size "
                f"(e.g. model.net.out_features) to {self.num_classes}."
            )
        loss = (self.training_criterion if self.training else self.criterion)(logits, y)
        return loss, {"loss": loss, "acc": (logits.argmax(dim=1) == y).float().mean()}

    def predict_labels(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted class per sample, ``(N,)``."""
        return self.logits(x).argmax(dim=1)
