"""PNG plots of a classifier run: per-epoch curves, test images with predicted labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.curves import save_curve_panels
from figures.image_grids import save_image_grid
from numpy_experiments.classifier_training import TrainingHistory


def save_training_curves(history: TrainingHistory, plots_dir: Path, title: str) -> Path:
    """``curves.png``: the figure a ``train.py`` classifier run draws (``MetricCurvesPlot``).

    One panel per metric, train and val against the 0-based epoch index (0 for the first), as
    ``configs/callbacks/{metric_curves,classifier}.yaml`` configure it for the torch side and as
    ``metrics.csv`` and ``summary.json``'s ``best_epoch`` count epochs.
    """
    epochs = [r.epoch for r in history.epochs]
    with_val = history.epochs[0].val_loss is not None

    def series(train: list[float], val: list[float | None]) -> dict[str, list[tuple[int, float]]]:
        curves = {"train": list(zip(epochs, train, strict=True))}
        curves["val"] = list(zip(epochs, val, strict=True)) if with_val else []
        return curves

    panels = {
        "loss": series(
            [r.train_loss for r in history.epochs], [r.val_loss for r in history.epochs]
        ),
        "accuracy": series(
            [r.train_acc for r in history.epochs], [r.val_acc for r in history.epochs]
        ),
    }
    return save_curve_panels(
        plots_dir / "curves.png",
        panels,
        xlabel="epoch",
        ylabels={name: name for name in panels},
        suptitle=f"{title}: per-epoch curves",
    )


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
