"""Minibatch training of a NumPy classifier on in-memory arrays, with per-epoch validation.

The step and the evaluation are the library's (``numpy_ref/training.py``). Batches are slices of
one shuffled copy of the training arrays per epoch (a single gather, then contiguous views: no
per-batch fancy indexing). What it logs has the names and the counting of a ``train.py`` run's
metrics.csv (``lightning_modules/base.py``): ``step`` is the 0-based index of the optimizer step
a row belongs to and ``epoch`` the 0-based index of its epoch, as Lightning counts them.
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

# (metrics, step, epoch or None) -> None; the runner passes RunLogger.log_metrics.
MetricsSink = Callable[[dict[str, float], int, int | None], None]

# The validation figures a best epoch can be chosen by, and which way is better.
MONITOR_MODES = {"val/acc": "max", "val/loss": "min"}


@dataclass
class EpochRecord:
    """Metrics at the end of one epoch.

    ``epoch``: its 0-based index; ``step``: optimizer steps done by its end; ``elapsed_s``:
    training and evaluation so far. ``test_acc`` is measured only for a time-to-target run.
    """

    epoch: int
    step: int
    lr: float
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    test_acc: float | None
    elapsed_s: float

    def val_metrics(self) -> dict[str, float]:
        """``val/loss`` and ``val/acc``, or nothing without a validation split."""
        if self.val_loss is None:
            return {}
        return {"val/loss": self.val_loss, "val/acc": self.val_acc}


@dataclass
class TrainingHistory:
    """Everything a run produced: per-epoch records, timings, the weights of its best epoch.

    ``best_epoch``/``best_state``: the epoch with the best ``monitor`` on the validation split
    and a copy of the weights at its end (``model.state_dict()``); None without a validation
    split. ``time_to_target_s``: elapsed seconds at the end of the first epoch whose test
    accuracy reached ``target_test_acc`` (None if never reached or no target given).
    """

    monitor: str = "val/acc"
    epochs: list[EpochRecord] = field(default_factory=list)
    train_wall_s: float = 0.0
    target_test_acc: float | None = None
    time_to_target_s: float | None = None
    best_epoch: int | None = None
    best_state: dict[str, np.ndarray] | None = None

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1]

    @property
    def best(self) -> EpochRecord | None:
        return None if self.best_epoch is None else self.epochs[self.best_epoch]

    def is_better(self, record: EpochRecord) -> bool:
        """Whether ``record``'s monitor beats the best epoch's so far (ties keep the earlier)."""
        value = record.val_metrics().get(self.monitor)
        if value is None:
            return False
        if self.best is None:
            return True
        best = self.best.val_metrics()[self.monitor]
        return value > best if MONITOR_MODES[self.monitor] == "max" else value < best


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
    monitor: str = "val/acc",
) -> TrainingHistory:
    """Train for ``epochs`` passes over ``data.x_train``; evaluate on the validation split each epoch.

    ``lr_schedule(step)`` sets ``optimizer.lr`` before every step. Sent to ``on_metrics``, as a
    ``train.py`` run logs them: ``lr-<Optimizer>`` at each epoch's start; the loss of every
    ``log_every``-th step as ``train/loss``; at each epoch's end ``train/loss_epoch``,
    ``train/acc``, ``val/loss``, ``val/acc`` and ``<monitor>_best``. The weights of the epoch with
    the best ``monitor`` (``val/acc`` or ``val/loss``) are kept in the history, for the test.
    With ``target_test_acc``, test accuracy is measured after every epoch as well, for the time
    to reach it (logged once as ``time_to_target_s``); it picks nothing.

    A NaN or infinite training loss logs ``run/failed`` and ``run/nonfinite_step`` (as the torch
    side's NonFiniteLossGuard does) and raises :class:`NonFiniteResultError` at once.
    """
    if monitor not in MONITOR_MODES:
        raise ValueError(f"monitor must be one of {sorted(MONITOR_MODES)}, got {monitor!r}")
    sink = on_metrics or (lambda metrics, step, epoch: None)
    lr_key = f"lr-{type(optimizer).__name__}"  # LearningRateMonitor's name for it
    n = len(data.x_train)
    steps_per_epoch = -(-n // batch_size)
    history = TrainingHistory(monitor=monitor, target_test_acc=target_test_acc)
    step = 0  # optimizer steps done
    start = time.perf_counter()
    model.train()
    with _progress_bar(show_progress) as progress:
        task = progress.add_task(
            "train", total=epochs * steps_per_epoch, epoch=0, loss=float("nan")
        )
        for epoch in range(epochs):
            sink({lr_key: lr_schedule(step)}, step, None)
            order = rng.permutation(n)
            x_epoch, y_epoch = data.x_train[order], data.y_train[order]
            loss_sum, correct = 0.0, 0
            for batch_start in range(0, n, batch_size):
                x = x_epoch[batch_start : batch_start + batch_size]
                y = y_epoch[batch_start : batch_start + batch_size]
                optimizer.lr = lr_schedule(step)
                # A NaN/inf is caught at the loss just below; numpy's warnings would only repeat it.
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, logits = train_step(model, optimizer, x, y)
                if not np.isfinite(loss):
                    sink({"run/failed": 1.0, "run/nonfinite_step": step}, step, epoch)
                    raise NonFiniteResultError(
                        f"The training loss became {loss} at step {step} of epoch {epoch} (both "
                        f"counted from 0, as metrics.csv counts them; lr {optimizer.lr:.3g}), so "
                        "the run stopped before testing or plotting; metrics.csv keeps the steps "
                        "before. Lower the learning rate (numpy_optim.lr)."
                    )
                loss_sum += loss * len(y)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == y))
                if (step + 1) % log_every == 0:
                    sink({"train/loss": float(loss)}, step, epoch)
                    progress.update(task, completed=step + 1, epoch=epoch, loss=loss)
                step += 1
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
                measure_test=target_test_acc is not None,
            )
            history.epochs.append(record)
            if history.is_better(record):
                history.best_epoch, history.best_state = epoch, model.state_dict()
            best = history.best.val_metrics() if history.best is not None else {}
            sink(
                {
                    "train/loss_epoch": record.train_loss,
                    "train/acc": record.train_acc,
                    **record.val_metrics(),
                    **({f"{monitor}_best": best[monitor]} if best else {}),
                },
                step - 1,
                epoch,
            )
            if (
                target_test_acc is not None
                and history.time_to_target_s is None
                and record.test_acc >= target_test_acc
            ):
                history.time_to_target_s = record.elapsed_s
                sink({"time_to_target_s": record.elapsed_s}, step - 1, epoch)
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
    measure_test: bool,
) -> EpochRecord:
    val_loss = val_acc = test_acc = None
    if len(data.x_val):
        val_loss, val_acc = evaluate(model, data.x_val, data.y_val, eval_batch_size)
    if measure_test:
        _, test_acc = evaluate(model, data.x_test, data.y_test, eval_batch_size)
    return EpochRecord(
        epoch,
        step,
        lr,
        train_loss,
        train_acc,
        val_loss,
        val_acc,
        test_acc,
        time.perf_counter() - start,
    )
