"""Wall time from fit start until test accuracy first reaches a target (time-to-accuracy)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from rich.console import Console

from labkit.atomic_files import write_text


class TimeToAccuracy(pl.Callback):
    """After every training epoch, measures test accuracy and records when it first hits ``target``.

    The measurement is an observer's: the clock is paused while it evaluates, gradients are off and
    the model's train/eval mode is restored, so training is exactly what it would be without it.
    Writes ``time_to_accuracy.json`` in ``out_dir``, logs ``time_to_target_s``, and with
    ``stop_at_target`` ends training once the target is reached (the benchmark's mode).

    Args:
        out_dir: the run dir.
        target: test accuracy to reach, e.g. 0.98.
        stop_at_target: stop training at the first epoch that reaches ``target``.
    """

    def __init__(self, out_dir: str, target: float, stop_at_target: bool = False) -> None:
        self.out_dir, self.target, self.stop_at_target = Path(out_dir), target, stop_at_target
        self.elapsed = 0.0
        self.reached: dict | None = None
        self._started = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Time training and validation, not this measurement.
        self.elapsed += time.perf_counter() - self._started
        if self.reached is not None:
            return
        accuracy = self._test_accuracy(trainer, pl_module)
        if accuracy >= self.target:
            self.reached = {
                "target": self.target,
                "time_to_target_s": round(self.elapsed, 3),
                "epoch": trainer.current_epoch,  # 0-based, as in metrics.csv and summary.json
                "test_acc": accuracy,
            }
            self._report(trainer)
            if self.stop_at_target:
                trainer.should_stop = True

    def _test_accuracy(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> float:
        datamodule = trainer.datamodule
        datamodule.setup("test")
        was_training = pl_module.training
        pl_module.eval()
        correct = total = 0
        with torch.no_grad():
            for x, y in datamodule.test_dataloader():
                x, y = x.to(pl_module.device), y.to(pl_module.device)
                correct += int((pl_module(x).argmax(dim=1) == y).sum())
                total += len(y)
        pl_module.train(was_training)
        return correct / total

    @rank_zero_only
    def _report(self, trainer: pl.Trainer) -> None:
        write_text(self.out_dir / "time_to_accuracy.json", json.dumps(self.reached, indent=2))
        for logger in trainer.loggers:
            logger.log_metrics(
                {"time_to_target_s": self.reached["time_to_target_s"]}, step=trainer.global_step
            )
        Console().print(
            f"[bold green]time to {self.target:.1%} test accuracy: "
            f"{self.reached['time_to_target_s']:.2f} s[/] (epoch {self.reached['epoch']}, "
            f"test acc {self.reached['test_acc']:.4f})"
        )
