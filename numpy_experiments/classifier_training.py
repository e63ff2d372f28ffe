"""Minibatch training of a NumPy classifier on in-memory arrays, with per-epoch evaluation.

The step and the evaluation are the library's (``numpy_ref/training.py``). Batches are slices of one shuffled copy of the training arrays per epoch
(a single gather, then contiguous views: no per-batch fancy indexing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from numpy_experiments.mnist_arrays import ClassificationArrays
from numpy_experiments.nonfinite import NonFiniteResultError
from numpy_ref.layer import Layer
from numpy_ref.lr_schedules import LrSchedule
from numpy_ref.optim import Optimizer
from numpy_ref.training import evaluate, train_step

# (metrics, step, epoch) -> None; the runner passes RunLogger.log_metrics.
MetricsSink = Callable[[dict[str, float], int, int], None]


@dataclass
class EpochRecord:
    """Metrics at the end of one epoch; ``elapsed_s`` counts training and evaluation so far."""

    epoch: int
    step: int
    lr: float
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    test_loss: float
    test_acc: float
    elapsed_s: float

    def metrics(self) -> dict[str, float]:
        values = {
            "train/loss": self.train_loss,
            "train/acc": self.train_acc,
            "test/loss": self.test_loss,
            "test/acc": self.test_acc,
            "lr": self.lr,
            "time/elapsed_s": self.elapsed_s,
        }
        if self.val_loss is not None:
            values.update({"val/loss": self.val_loss, "val/acc": self.val_acc})
        return values


@dataclass
class TrainingHistory:
    """Everything a run produced: per-epoch records, per-step losses, timings.

    ``time_to_target_s``: elapsed seconds at the end of the first epoch whose test accuracy
    reached ``target_test_acc`` (None if never reached or no target given).
    """

    epochs: list[EpochRecord] = field(default_factory=list)
    step_losses: list[tuple[int, float]] = field(default_factory=list)
    train_wall_s: float = 0.0
    target_test_acc: float | None = None
    time_to_target_s: float | None = None

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1]


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(),
        disable=not enabled,
    )


def train_classifier(
    model: Layer,
    optimizer: Optimizer,
    data: ClassificationArrays,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    lr_schedule: LrSchedule,
    eval_batch_size: int = 2000,
    target_test_acc: float | None = None,
    log_every: int = 50,
    on_metrics: MetricsSink | None = None,
    show_progress: bool = True,
) -> TrainingHistory:
    """Train for ``epochs`` passes over ``data.x_train``; evaluate val (if any) and test each epoch.

    ``lr_schedule(step)`` sets ``optimizer.lr`` before every step. Every ``log_every`` steps the
    mean training loss of those steps is sent to ``on_metrics`` as ``train/loss_step``; at each
    epoch end the epoch's metrics (``train/loss``, ``val/acc``, ``test/acc``, ...) are sent.
    A NaN or infinite training loss raises :class:`NonFiniteResultError` at once.
    """
    n = len(data.x_train)
    steps_per_epoch = -(-n // batch_size)
    history = TrainingHistory(target_test_acc=target_test_acc)
    step = 0
    start = time.perf_counter()
    model.train()
    with _progress_bar(show_progress) as progress:
        task = progress.add_task(
            "train", total=epochs * steps_per_epoch, epoch=0, loss=float("nan")
        )
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            x_epoch, y_epoch = data.x_train[order], data.y_train[order]
            loss_sum, correct, window = 0.0, 0, []
            for batch_start in range(0, n, batch_size):
                x = x_epoch[batch_start : batch_start + batch_size]
                y = y_epoch[batch_start : batch_start + batch_size]
                optimizer.lr = lr_schedule(step)
                # A NaN/inf is caught at the loss just below; numpy's warnings would only repeat it.
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, logits = train_step(model, optimizer, x, y)
                step += 1
                if not np.isfinite(loss):
                    raise NonFiniteResultError(
                        f"The training loss became {loss} at step {step} (epoch {epoch}, lr "
                        f"{optimizer.lr:.3g}), so the run stopped before plotting or summarising "
                        "it; metrics.csv keeps the steps before. Lower the learning rate "
                        "(numpy_optim.lr)."
                    )
                loss_sum += loss * len(y)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == y))
                window.append(loss)
                if step % log_every == 0:
                    history.step_losses.append((step, float(np.mean(window))))
                    if on_metrics:
                        on_metrics({"train/loss_step": history.step_losses[-1][1]}, step, epoch)
                    window = []
                    progress.update(task, completed=step, epoch=epoch, loss=loss)
            record = _end_of_epoch(
                model,
                data,
                epoch,
                step,
                optimizer.lr,
                loss_sum / n,
                correct / n,
                eval_batch_size,
                start,
            )
            history.epochs.append(record)
            if on_metrics:
                on_metrics(record.metrics(), step, epoch)
            if (
                target_test_acc is not None
                and history.time_to_target_s is None
                and record.test_acc >= target_test_acc
            ):
                history.time_to_target_s = record.elapsed_s
            progress.update(task, completed=step, epoch=epoch, loss=record.train_loss)
    history.train_wall_s = time.perf_counter() - start
    return history


def _end_of_epoch(
    model: Layer,
    data: ClassificationArrays,
    epoch: int,
    step: int,
    lr: float,
    train_loss: float,
    train_acc: float,
    eval_batch_size: int,
    start: float,
) -> EpochRecord:
    val_loss = val_acc = None
    if len(data.x_val):
        val_loss, val_acc = evaluate(model, data.x_val, data.y_val, eval_batch_size)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, eval_batch_size)
    return EpochRecord(
        epoch,
        step,
        lr,
        train_loss,
        train_acc,
        val_loss,
        val_acc,
        test_loss,
        test_acc,
        time.perf_counter() - start,
    )
