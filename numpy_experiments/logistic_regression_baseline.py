"""scikit-learn ``LogisticRegression`` on a small seeded subset of MNIST: the baseline of Part 1a.

Inputs are the pixels scaled to [0, 1] (``x / 255``, flattened to 784 features); the model is
multinomial logistic regression with L2 penalty ``1/(2C) ||W||²``, fitted by L-BFGS.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from datamodules.idx_files import load_split
from figures.results_table import print_results_table
from labkit.errors import ConfigError
from labkit.run_logger import run_logger_from_config
from numpy_experiments.classifier_plots import save_prediction_grid


def fit_logistic_regression(
    images: np.ndarray, labels: np.ndarray, C: float, max_iter: int, seed: int
):
    """Fit on ``images: (N, H, W) uint8``, ``labels: (N,)``; returns the fitted estimator."""
    from sklearn.linear_model import LogisticRegression  # heavy import, only when fitting

    model = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    return model.fit(_features(images), labels)


def _features(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float64) / 255


def run_baseline(cfg: DictConfig) -> dict[str, float]:
    """Train on ``baseline.train_size`` seeded training images, test on the whole test split."""
    settings = cfg.baseline
    train_images, train_labels = load_split(
        settings.dataset, "train", settings.data_dir, settings.labkit_data, settings.download
    )
    test_images, test_labels = load_split(
        settings.dataset, "test", settings.data_dir, settings.labkit_data, settings.download
    )
    if not 0 < settings.train_size <= len(train_images):
        raise ConfigError(
            f"baseline.train_size must be in [1, {len(train_images)}], got {settings.train_size}"
        )
    chosen = np.random.default_rng(cfg.seed).choice(
        len(train_images), settings.train_size, replace=False
    )
    start = time.perf_counter()
    model = fit_logistic_regression(
        train_images[chosen], train_labels[chosen], settings.C, settings.max_iter, cfg.seed
    )
    fit_s = time.perf_counter() - start
    predictions = model.predict(_features(test_images))
    results = {
        "test/acc": float(np.mean(predictions == test_labels)),
        "train/acc": float(model.score(_features(train_images[chosen]), train_labels[chosen])),
        "train_size": int(settings.train_size),
        "test_size": len(test_labels),
        "lbfgs_iterations": int(np.max(model.n_iter_)),
        "fit_wall_s": fit_s,
    }
    output_dir = Path(cfg.paths.output_dir)
    with run_logger_from_config(cfg, job_type="baseline") as logger:
        logger.log_metrics(results, step=0)
        grid = save_prediction_grid(
            test_images,
            test_labels,
            predictions,
            output_dir / "plots" / "test_predictions.png",
            f"LogisticRegression on {settings.train_size} {settings.dataset} images: "
            "predicted / true label",
            count=settings.grid_images,
            rng=np.random.default_rng(0),
        )
        logger.log_image("plots/test_predictions", grid)
        logger.log_summary(results)
    print_results_table(
        f"{cfg.task_name}: LogisticRegression", {**results, "run dir": str(output_dir)}
    )
    return results
