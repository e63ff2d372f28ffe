"""Several classification tasks on one input, one cross-entropy each (MultiMNIST's two digits)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from labkit.errors import ConfigError
from lightning_modules.base import OptimizerFactory, TrainingModule


class MultitaskClassifier(TrainingModule):
    """``x: (N, C, H, W) -> logits (N, num_tasks, num_classes)`` against labels ``y: (N, num_tasks)``.

    The loss is the mean of the tasks' cross-entropies. Logs, per stage, every task's
    ``task<i>/loss`` and ``task<i>/acc`` (1-based, as in ``val/task1/acc``) and their means
    ``loss`` and ``acc``; ``val/acc_best`` by default. ``**options`` (scheduler, monitor, ...): see
    :class:`~lightning_modules.base.TrainingModule`.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        num_classes: int,
        num_tasks: int,
        **options: Any,
    ) -> None:
        tasks = [f"task{t + 1}/{s}" for t in range(num_tasks) for s in ("loss", "acc")]
        super().__init__(net, optimizer, ("loss", "acc", *tasks), **options)
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.num_classes, self.num_tasks = num_classes, num_tasks

    def loss_and_statistics(self, batch: tuple[torch.Tensor, torch.Tensor]):
        """``x: (N, C, H, W)``, ``y: (N, num_tasks)`` class indices."""
        x, y = batch
        logits = self(x)
        expected = (len(x), self.num_tasks, self.num_classes)
        if tuple(logits.shape) != expected or tuple(y.shape) != expected[:2]:
            raise ConfigError(
                f"A multitask model with num_tasks={self.num_tasks}, num_classes="
                f"{self.num_classes} needs net outputs of shape {expected} and labels of shape "
                f"{expected[:2]}; got outputs {tuple(logits.shape)} and labels {tuple(y.shape)}. "
                "Make the net's heads (model.net.num_tasks, model.net.num_classes) match."
            )
        # (N, T, C) -> per-task losses (T,): cross_entropy wants the class dimension second.
        losses = nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(0)
        correct = (logits.argmax(dim=2) == y).float().mean(0)
        statistics = {"loss": losses.mean(), "acc": correct.mean()}
        for t in range(self.num_tasks):
            statistics[f"task{t + 1}/loss"] = losses[t]
            statistics[f"task{t + 1}/acc"] = correct[t]
        return losses.mean(), statistics

    def predict_labels(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted class per sample and task, ``(N, num_tasks)``."""
        return self(x).argmax(dim=2)
