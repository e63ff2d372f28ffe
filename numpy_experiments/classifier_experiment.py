"""Runner of the NumPy MLP experiments (``numpy_mlp_mnist``, ``numpy_mlp_mnist_fast``).

Loads the data into memory, builds the model and optimiser from the config, trains, logs the
curves to ``metrics.csv`` and W&B, leaves PNG plots in ``<run dir>/plots/`` and prints a final
table. Returns the final metrics (a sweeper may optimise any of them).
"""

from __future__ import annotations

import time
from pathlib import Path

import hydra
import numpy as np
from omegaconf import DictConfig

from labkit.errors import ConfigError
from labkit.results_table import print_results_table
from labkit.run_logger import run_logger_from_config
from numpy_experiments.classifier_plots import save_prediction_grid, save_training_curves
from numpy_experiments.classifier_training import TrainingHistory, train_classifier
from numpy_experiments.mnist_arrays import ClassificationArrays, load_classification_arrays
from numpy_ref.lr_schedules import make_lr_schedule
from numpy_ref.training import predict


def run(cfg: DictConfig) -> dict[str, float]:
    """Train ``cfg.numpy_model`` with ``cfg.numpy_optim`` on ``cfg.numpy_data``; see module doc."""
    run_start = time.perf_counter()
    output_dir = Path(cfg.paths.output_dir)
    rng = np.random.default_rng(cfg.seed)
    data_cfg, train_cfg = cfg.numpy_data, cfg.numpy_training
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
        )
        results = _final_figures(history, model.num_parameters(), load_s)
        plots = save_training_curves(history, output_dir / "plots", cfg.task_name)
        predictions = predict(model, data.x_test, train_cfg.eval_batch_size)
        plots.append(
            save_prediction_grid(
                data.test_images,
                data.y_test,
                predictions,
                output_dir / "plots" / "test_predictions.png",
                f"{cfg.task_name}: test images, predicted vs true label",
                rng=np.random.default_rng(0),
            )
        )
        for path in plots:
            logger.log_image(f"plots/{path.stem}", path)
        logger.log_table("final_metrics", ["figure", "value"], [[k, v] for k, v in results.items()])
        logger.log_summary(results)
    results["total_wall_s"] = time.perf_counter() - run_start
    print_results_table(f"{cfg.task_name} (NumPy)", {**results, "run dir": str(output_dir)})
    return results


def _check_model_fits_data(sizes: list[int], data: ClassificationArrays) -> None:
    features, classes = data.x_train.shape[1], data.num_classes
    if sizes[0] != features or sizes[-1] != classes:
        raise ConfigError(
            f"numpy_model.sizes={list(sizes)} does not fit the data: the first size must be the "
            f"number of input features ({features}) and the last the number of classes ({classes})."
        )


def _final_figures(
    history: TrainingHistory, num_parameters: int, load_s: float
) -> dict[str, float]:
    final = history.final
    results = {
        "test/acc": final.test_acc,
        "test/loss": final.test_loss,
        "train/loss": final.train_loss,
        "epochs": final.epoch,
        "parameters": num_parameters,
        "data_load_s": load_s,
        "train_wall_s": history.train_wall_s,
    }
    if final.val_acc is not None:
        results.update({"val/acc": final.val_acc, "val/loss": final.val_loss})
    if history.target_test_acc is not None:
        # NaN (not a made-up number) when the target was never reached.
        reached = history.time_to_target_s
        results[f"time_to_{history.target_test_acc:g}_test_acc_s"] = (
            reached if reached is not None else float("nan")
        )
    return results
