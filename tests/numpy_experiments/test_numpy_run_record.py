"""A train_numpy.py run leaves the record a train.py run leaves, and report.py reads it alike.

The record: summary.json (``status``, the test of the best validation epoch's weights, epochs,
parameters, time), metrics.csv (Lightning's column names; steps and epochs counted from 0) and
``plots/curves.png`` + ``plots/test_predictions.png``. A failed job of a sweep hands the sweeper
None, as train.py does, which Optuna records as a failed trial.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra.core.global_hydra import GlobalHydra

from labkit.compose import compose_run_config
from numpy_experiments import classifier_experiment
from numpy_experiments.experiment_runner import run_experiment
from numpy_ref.training import evaluate
from tests.helpers.job_return_recorder import read_job_return
from tests.helpers.train_numpy_subprocess import ROOT, run_script
from tests.numpy_experiments.test_numpy_classifier_training import _noisy_arrays

# What `python train.py experiment=mnist_mlp trainer.max_epochs=1` leaves: its summary.json's
# keys and its metrics.csv's columns.
TORCH_SUMMARY_KEYS = {
    *("test/loss", "test/acc", "status", "job", "epochs", "params_total", "wall_time_s"),
    *("checkpoint", "val/loss", "val/acc", "best_epoch"),
}
TORCH_COLUMNS = {
    *("epoch", "step", "lr-Adam", "model/params_total", "model/params_trainable"),
    *("train/loss", "train/loss_epoch", "train/acc", "val/loss", "val/acc", "val/acc_best"),
    *("test/loss", "test/acc"),
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


@pytest.mark.real_data
def test_a_one_epoch_run_on_mnist_is_recorded_as_train_py_records_one(tmp_path):
    run_dir = tmp_path / "run"
    result, torch_loaded = run_script(
        "train_numpy.py",
        tmp_path,
        "experiment=numpy_mlp_mnist",
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={os.environ['LABKIT_DATA']}",
        "numpy_data.download=false",
        "numpy_data.train_subset=640",
        "numpy_data.val_size=500",
        "numpy_model.sizes=[784,32,10]",
        "numpy_training.epochs=1",
        "numpy_training.batch_size=64",
        "numpy_training.log_every=2",
        "run_logger.use_wandb=false",
        "progress_bar=false",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "the train_numpy.py path imported torch"

    summary = _summary(run_dir)
    assert set(summary) >= TORCH_SUMMARY_KEYS, TORCH_SUMMARY_KEYS - set(summary)
    assert (summary["status"], summary["job"], summary["epochs"]) == ("finished", "train", 1)
    assert summary["best_epoch"] == 0 and summary["checkpoint"] is None
    assert summary["params_total"] == 784 * 32 + 32 + 32 * 10 + 10

    rows = _rows(run_dir / "metrics.csv")
    assert set(rows[0]) == TORCH_COLUMNS
    assert {r["epoch"] for r in rows if r["epoch"]} == {"0"}, "a 1-epoch run is epoch 0 here"
    steps = 640 // 64
    test_row = rows[-1]
    assert test_row["step"] == str(steps) and test_row["epoch"] == "", test_row
    assert float(test_row["test/acc"]) == summary["test/acc"] > 0.15  # chance is 0.1
    assert float(test_row["test/loss"]) == summary["test/loss"]
    (val_row,) = [r for r in rows if r["val/acc"]]
    assert val_row["step"] == str(steps - 1)
    assert float(val_row["val/acc"]) == summary["val/acc"] == float(val_row["val/acc_best"])
    assert [r["step"] for r in rows if r["train/loss"]] == ["1", "3", "5", "7", "9"]
    for name in ("curves.png", "test_predictions.png"):
        assert (run_dir / "plots" / name).stat().st_size > 1000, name

    result, _ = run_script("report.py", tmp_path, str(run_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    report = (run_dir / "report" / "report.md").read_text()
    assert "Status: **finished**." in report and "unfinished" not in report, report
    assert "| epochs | 1 |" in report, report
    assert f"| test/acc | {summary['test/acc']:.4g} |" in report, report


def test_the_runner_tests_the_weights_of_the_best_validation_epoch(tmp_path, monkeypatch):
    data = _noisy_arrays()  # its val loss is lowest before the last epoch
    monkeypatch.setattr(classifier_experiment, "load_classification_arrays", lambda *a, **k: data)
    trained = []

    def train_and_keep(model, *args, **kwargs):
        history = train_classifier(model, *args, **kwargs)
        trained.append((model, history))
        return history

    train_classifier = classifier_experiment.train_classifier
    monkeypatch.setattr(classifier_experiment, "train_classifier", train_and_keep)
    cfg = compose_run_config(
        [
            "experiment=numpy_mlp_mnist",
            "numpy_model.sizes=[784,128,10]",
            "numpy_optim.lr=0.003",
            "numpy_training.lr_schedule=constant",
            "numpy_training.epochs=5",
            "numpy_training.batch_size=32",
            "numpy_training.monitor=val/loss",
            "numpy_training.target_test_acc=null",
            "run_logger.use_wandb=false",
            "progress_bar=false",
        ],
        tmp_path,
        "train_numpy",
    )
    GlobalHydra.instance().clear()
    returned = classifier_experiment.run(cfg)

    (model, history) = trained[0]
    val_losses = [r.val_loss for r in history.epochs]
    summary = _summary(tmp_path)
    assert summary["best_epoch"] == int(np.argmin(val_losses)) < 4, val_losses
    assert summary["val/loss"] == min(val_losses) != val_losses[-1]
    # The model left after the run holds the best epoch's weights, and those were tested.
    assert evaluate(model, data.x_val, data.y_val, 2000)[0] == min(val_losses)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, 2000)
    assert (summary["test/loss"], summary["test/acc"]) == (test_loss, test_acc)
    assert returned["val/loss_best"] == returned["val/loss"] == min(val_losses)


def _broken_runner(cfg):
    raise RuntimeError("a bug in the runner")


def test_a_runner_that_crashes_leaves_a_failed_summary_naming_the_error(tmp_path):
    cfg = compose_run_config(
        ["experiment=numpy_mlp_mnist", f"runner={__name__}._broken_runner"],
        tmp_path,
        "train_numpy",
    )
    GlobalHydra.instance().clear()
    with pytest.raises(RuntimeError, match="a bug in the runner"):
        run_experiment(cfg, ROOT / "configs")
    assert _summary(tmp_path) == {"status": "failed", "error": "RuntimeError: a bug in the runner"}


def test_a_failed_trial_of_an_optuna_search_returns_none_and_the_search_goes_on(
    tmp_path, tiny_data_root
):
    result, _ = run_script(
        "train_numpy.py",
        tmp_path,
        "-m",
        "experiment=numpy_mlp_mnist",
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={tiny_data_root}",
        "numpy_data.download=false",
        "numpy_data.val_size=100",
        "numpy_model.sizes=[784,16,10]",
        "numpy_training.epochs=1",
        "numpy_training.batch_size=50",
        "numpy_optim=sgd",
        "hydra/sweeper=optuna",
        # TPE, as the project's searches use; seeded so the 2 trials draw both values. (The
        # grid sampler stops a study from inside a failed trial's tell, which crashes the
        # sweeper itself when the failing trial comes last.)
        "hydra.sweeper.sampler.seed=0",
        "hydra.sweeper.direction=maximize",
        "hydra.sweeper.n_trials=2",
        "numpy_optim.lr=choice(0.01,1e6)",  # 1e6 diverges
        "run_logger.use_wandb=false",
        "progress_bar=false",
        "hydra.sweep.dir=sweep",
        "+hydra.callbacks.job_return._target_=tests.helpers.job_return_recorder.JobReturnRecorder",
    )
    # NaN here stopped the whole search: Optuna refuses it as a value, even for a failed trial.
    assert result.returncode == 0, result.stderr[-3000:]
    sweep = tmp_path / "sweep"
    jobs = {_summary(sweep / j)["status"]: sweep / j for j in ("0", "1")}
    assert set(jobs) == {"finished", "failed"}, jobs
    finished, failed = read_job_return(jobs["finished"]), read_job_return(jobs["failed"])
    assert finished["value"] == _summary(jobs["finished"])["val/acc"]  # optimized_metric
    assert failed == {"status": "COMPLETED", "value": None}
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert best["best_params"] == {"numpy_optim.lr": 0.01}
    summary = _summary(jobs["failed"])
    assert summary["status"] == "failed" and "The training loss became" in summary["error"]
