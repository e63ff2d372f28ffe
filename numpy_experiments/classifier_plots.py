"""PNG plots of a classifier run: loss and accuracy curves, test images with predicted labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labkit.plots import save_curves, save_image_grid
from numpy_experiments.classifier_training import TrainingHistory


def save_training_curves(history: TrainingHistory, plots_dir: Path, title: str) -> list[Path]:
    """``loss.png`` (per-step train loss, per-epoch train/val/test loss) and ``accuracy.png``."""
    steps_per_epoch = history.epochs[0].step / history.epochs[0].epoch
    epoch_x = [r.epoch for r in history.epochs]
    loss_series = {
        "train (per step)": [(s / steps_per_epoch, loss) for s, loss in history.step_losses],
        "train (epoch mean)": list(
            zip(epoch_x, [r.train_loss for r in history.epochs], strict=True)
        ),
        "test": list(zip(epoch_x, [r.test_loss for r in history.epochs], strict=True)),
    }
    acc_series = {
        "train (epoch mean)": list(
            zip(epoch_x, [r.train_acc for r in history.epochs], strict=True)
        ),
        "test": list(zip(epoch_x, [r.test_acc for r in history.epochs], strict=True)),
    }
    if history.epochs[0].val_loss is not None:
        loss_series["val"] = [(r.epoch, r.val_loss) for r in history.epochs]
        acc_series["val"] = [(r.epoch, r.val_acc) for r in history.epochs]
    return [
        save_curves(
            plots_dir / "loss.png",
            loss_series,
            f"{title}: cross-entropy loss",
            "epoch",
            "loss",
            logy=True,
        ),
        save_curves(
            plots_dir / "accuracy.png", acc_series, f"{title}: accuracy", "epoch", "accuracy"
        ),
    ]


def save_prediction_grid(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    path: Path,
    title: str,
    count: int = 20,
    rng: np.random.Generator | None = None,
    errors_first: int = 5,
) -> Path:
    """A grid of ``count`` test images captioned ``pred p / true t`` (red when wrong).

    Shows ``errors_first`` misclassified images (when there are that many) and fills the rest
    with a random sample, so a reader sees both typical successes and typical mistakes.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    count = min(count, len(labels))
    wrong = np.flatnonzero(predictions != labels)
    chosen_wrong = rng.choice(wrong, size=min(errors_first, len(wrong)), replace=False)
    rest = np.setdiff1d(np.arange(len(labels)), chosen_wrong)
    chosen = np.concatenate(
        [chosen_wrong, rng.choice(rest, size=count - len(chosen_wrong), replace=False)]
    )
    chosen = np.sort(chosen)
    captions = [f"pred {predictions[i]} / true {labels[i]}" for i in chosen]
    colors = ["red" if predictions[i] != labels[i] else "green" for i in chosen]
    return save_image_grid(path, images[chosen], captions, title, caption_colors=colors)
