"""Runner of the NumPy MLP experiments (``numpy_mlp_mnist``, ``numpy_mlp_mnist_fast``).

Loads the data into memory, builds the model and optimiser from the config, trains, then tests
the weights of the best validation epoch, as ``train.py`` tests its best checkpoint (the last
epoch's without a validation split). The run leaves a ``train.py`` run's record: summary.json
(``labkit.run_record.record_finished``), metrics.csv with the same columns and counting, the
same ``plots/curves.png`` and ``plots/test_predictions.png``, and a W&B run. Returns the final
figures (a sweeper may optimise any of them).
"""

from __future__ import annotations

import time
from pathlib import Path

import hydra
import numpy as np
from omegaconf import DictConfig

from figures.results_table import print_results_table
from labkit.errors import ConfigError
from labkit.run_logger import run_logger_from_config
from labkit.run_record import record_finished
from numpy_experiments.classifier_plots import save_prediction_grid, save_training_curves
from numpy_experiments.classifier_training import (
    MONITOR_MODES,
    TrainingHistory,
    train_classifier,
)
from numpy_experiments.mnist_arrays import ClassificationArrays, load_classification_arrays
from numpy_ref.layer import Layer
from numpy_ref.lr_schedules import make_lr_schedule
from numpy_ref.training import evaluate, predict


def run(cfg: DictConfig) -> dict[str, float]:
    """Train ``cfg.numpy_model`` with ``cfg.numpy_optim`` on ``cfg.numpy_data``; see module doc."""
    run_start = time.perf_counter()
    output_dir = Path(cfg.paths.output_dir)
    rng = np.random.default_rng(cfg.seed)
    data_cfg, train_cfg = cfg.numpy_data, cfg.numpy_training
    monitor = train_cfg.monitor
    if monitor not in MONITOR_MODES:
        raise ConfigError(
            f"numpy_training.monitor={monitor} cannot pick the epoch to test; choose one of "
            f"{', '.join(MONITOR_MODES)} (e.g. numpy_training.monitor=val/acc)."
        )
    data = load_classification_arrays(
        data_cfg.name,
        data_cfg.data_dir,
        data_cfg.labkit_data,
        data_cfg.val_size,
        seed=cfg.seed,
        download=data_cfg.download,
        train_subset=data_cfg.get("train_subset"),
    )
    model = hydra.utils.instantiate(cfg.numpy_model, rng=rng)
    _check_model_fits_data(model.sizes, data)
    optimizer = hydra.utils.instantiate(cfg.numpy_optim, model)
    steps = train_cfg.epochs * -(-len(data.x_train) // train_cfg.batch_size)
    try:
        schedule = make_lr_schedule(
            train_cfg.lr_schedule, optimizer.lr, steps, train_cfg.lr_final_fraction
        )
    except ValueError as err:  # the library's message, as the config's error
        raise ConfigError(f"numpy_training: {err}") from None
    load_s = time.perf_counter() - run_start

    with run_logger_from_config(cfg) as logger:
        params = model.num_parameters()
        # ParameterCount's row on the torch side: every numpy_ref parameter is trained.
        logger.log_metrics({"model/params_total": params, "model/params_trainable": params}, 0)
        history = train_classifier(
            model,
            optimizer,
            data,
            train_cfg.epochs,
            train_cfg.batch_size,
            rng,
            schedule,
            eval_batch_size=train_cfg.eval_batch_size,
            target_test_acc=train_cfg.target_test_acc,
            log_every=train_cfg.log_every,
            on_metrics=logger.log_metrics,
            show_progress=cfg.progress_bar,
            monitor=monitor,
        )
        if history.best_state is not None:
            model.load_state_dict(history.best_state)
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test, train_cfg.eval_batch_size)
        # The test belongs to no epoch (it tests the best one's weights): its row has none.
        logger.log_metrics({"test/loss": test_loss, "test/acc": test_acc}, history.final.step)
        for path in _save_plots(history, model, data, output_dir / "plots", cfg):
            logger.log_image(f"plots/{path.stem}", path)
        figures = _final_figures(history, test_loss, test_acc, load_s)
        summary = record_finished(
            output_dir,
            figures,
            job="train",
            epochs=len(history.epochs),
            params_total=params,
            wall_time_s=time.perf_counter() - run_start,
            checkpoint=None,  # the tested weights were kept in memory, never saved
            best=_best_epoch_figures(history),
        )
        rows = [[k, str(v)] for k, v in summary.items()]
        logger.log_table("final_metrics", ["metric", "value"], rows)
        logger.log_summary({f"final/{k}": v for k, v in figures.items()})
    print_results_table(f"{cfg.task_name} (NumPy)", {**summary, "run dir": str(output_dir)})
    best = _best_epoch_figures(history)
    # What train.py returns too: the monitor's best value as `<monitor>_best`.
    return {**figures, **best, **({f"{monitor}_best": best[monitor]} if best else {})}


def _save_plots(
    history: TrainingHistory,
    model: Layer,
    data: ClassificationArrays,
    plots_dir: Path,
    cfg: DictConfig,
) -> list[Path]:
    """The curves and, from the tested weights, the test predictions."""
    predictions = predict(model, data.x_test, cfg.numpy_training.eval_batch_size)
    return [
        save_training_curves(history, plots_dir, cfg.task_name),
        save_prediction_grid(
            data.test_images,
            data.y_test,
            predictions,
            plots_dir / "test_predictions.png",
            f"{cfg.task_name}: test images, predicted vs true label",
            rng=np.random.default_rng(0),
        ),
    ]


def _check_model_fits_data(sizes: list[int], data: ClassificationArrays) -> None:
    features, classes = data.x_train.shape[1], data.num_classes
    if sizes[0] != features or sizes[-1] != classes:
        raise ConfigError(
            f"numpy_model.sizes={list(sizes)} does not fit the data: the first size must be the "
            f"number of input features ({features}) and the last the number of classes ({classes})."
        )


def _final_figures(
    history: TrainingHistory, test_loss: float, test_acc: float, load_s: float
) -> dict[str, float]:
    """The test of the tested weights, and the timings (summary.json's figures)."""
    figures = {
        "test/loss": test_loss,
        "test/acc": test_acc,
        "data_load_s": load_s,
        "train_wall_s": history.train_wall_s,
    }
    if history.target_test_acc is not None:
        # NaN (not a made-up number) when the target was never reached.
        reached = history.time_to_target_s
        figures[f"time_to_{history.target_test_acc:g}_test_acc_s"] = (
            reached if reached is not None else float("nan")
        )
    return figures


def _best_epoch_figures(history: TrainingHistory) -> dict[str, float]:
    """``val/*`` of the epoch whose weights were tested and that epoch (0-based) as ``best_epoch``."""
    best = history.best
    return {} if best is None else {**best.val_metrics(), "best_epoch": best.epoch}
