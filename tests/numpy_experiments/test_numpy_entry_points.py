"""train_numpy.py and baseline.py as a user runs them: outputs on disk, exit codes, no torch."""

import csv
import json
import subprocess
import sys

import numpy as np

from tests.helpers.synthetic_points import two_plane_points, write_ulu_csv
from tests.helpers.train_numpy_subprocess import ROOT, run_script


def _last_row_with(path, key):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get(key)]
    return rows[-1]


def test_tiny_mlp_run_leaves_metrics_plots_and_an_offline_wandb_run_without_torch(
    tmp_path, tiny_data_root
):
    run_dir = tmp_path / "run"
    result, torch_loaded = run_script(
        "train_numpy.py",
        tmp_path,
        "experiment=numpy_mlp_mnist",
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={tiny_data_root}",
        "numpy_data.download=false",
        "numpy_data.val_size=100",
        "numpy_model.sizes=[784,32,10]",
        "numpy_training.epochs=2",
        "numpy_training.batch_size=32",
        "numpy_training.log_every=5",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "the train_numpy.py path imported torch"
    final = _last_row_with(run_dir / "metrics.csv", "test/acc")
    assert final["epoch"] == "" and float(final["test/acc"]) > 0.5, final
    assert {"val/acc", "train/loss", "train/loss_epoch"} <= set(final)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["epochs"] == 2, summary
    assert summary["test/acc"] == float(final["test/acc"])
    for name in ("curves.png", "test_predictions.png"):
        assert (run_dir / "plots" / name).stat().st_size > 1000, name
    assert list((run_dir / "wandb").glob("offline-run-*/*.wandb")), "no offline W&B run"
    assert "test/acc" in result.stdout and "train_wall_s" in result.stdout


def _linear_ae_run(tmp_path, points, *overrides):
    """A short numpy_linear_ae run on ``points``; returns ``(result, torch_loaded)``."""
    write_ulu_csv(tmp_path / "shared" / "iml" / "ulu.csv", points)
    return run_script(
        "train_numpy.py",
        tmp_path,
        "experiment=numpy_linear_ae",
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={tmp_path / 'shared'}",
        "numpy_data.download=false",
        "linear_ae.lr_sweep.num_lrs=3",
        "linear_ae.bottleneck.steps=40",
        "linear_ae.dropout.steps=40",
        f"hydra.run.dir={tmp_path / 'run'}",
        *overrides,
    )


def test_tiny_linear_ae_run_writes_results_md_and_plots_without_torch(tmp_path):
    points, _ = two_plane_points(400, np.random.default_rng(0))
    run_dir = tmp_path / "run"
    result, torch_loaded = _linear_ae_run(tmp_path, points)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "the train_numpy.py path imported torch"
    report = (run_dir / "results.md").read_text()
    for heading in ("## (a)", "## (b)", "## (d)", "theoretical minimum", "optimal expected loss"):
        assert heading in report, heading
    assert len(list((run_dir / "plots").glob("*.png"))) == 6
    assert _last_row_with(run_dir / "metrics.csv", "d/expected_loss")["step"] == "40"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["job"] == "train", summary
    assert summary["b/loss"] == float(_last_row_with(run_dir / "metrics.csv", "b/loss")["b/loss"])


def test_missing_ulu_exits_with_code_2_and_one_message(tmp_path):
    result, _ = run_script(
        "train_numpy.py",
        tmp_path,
        "experiment=numpy_linear_ae",
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={tmp_path / 'empty'}",
        "numpy_data.download=false",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "ulu.csv not found. Looked for:" in result.stderr
    assert "Traceback" not in result.stderr


def _assert_one_message_and_no_results(result, run_dir, expected):
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    assert expected in result.stderr, result.stderr
    report = run_dir / "results.md"
    assert not report.exists() or "inf" not in report.read_text(), "results.md holds inf"
    assert not list(run_dir.rglob("*.png")), "plots were rendered from the broken figures"
    assert not list(run_dir.rglob("*.part")), "a half-written file was left behind"


def test_ulu_with_a_1e30_outlier_exits_with_code_2_one_message_and_no_results_md(tmp_path):
    points, _ = two_plane_points(400, np.random.default_rng(0))
    points[4, 1] = 1e30  # the old run wrote a results.md full of inf, then a matplotlib traceback
    result, _ = _linear_ae_run(tmp_path, points)
    _assert_one_message_and_no_results(
        result, tmp_path / "run", "outlier at row 5 (line 6), column y: 1e+30"
    )
    assert str(tmp_path / "shared" / "iml" / "ulu.csv") in result.stderr
    assert not (tmp_path / "run" / "results.md").exists()


def test_a_diverging_autoencoder_stops_with_code_2_before_writing_results_md(tmp_path):
    points, _ = two_plane_points(400, np.random.default_rng(0))
    result, _ = _linear_ae_run(tmp_path, points, "linear_ae.bottleneck.lr=50")
    _assert_one_message_and_no_results(
        result, tmp_path / "run", "linear_ae.bottleneck: the loss became inf at full-batch GD step"
    )
    assert "Lower linear_ae.bottleneck.lr" in result.stderr
    assert not (tmp_path / "run" / "results.md").exists()


def test_baseline_on_tiny_mnist_prints_accuracy_and_saves_a_grid_without_torch(
    tmp_path, tiny_data_root
):
    run_dir = tmp_path / "run"
    result, torch_loaded = run_script(
        "baseline.py",
        tmp_path,
        f"paths.data_dir={tmp_path / 'cache'}",
        f"paths.labkit_data={tiny_data_root}",
        "baseline.download=false",
        "baseline.train_size=300",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "baseline.py imported torch"
    assert float(_last_row_with(run_dir / "metrics.csv", "test/acc")["test/acc"]) > 0.5
    assert (run_dir / "plots" / "test_predictions.png").stat().st_size > 1000


def test_importing_every_module_of_the_numpy_path_leaves_torch_unloaded():
    modules = [
        "train_numpy",
        "baseline",
        "labkit.run_logger",
        "numpy_experiments.classifier_experiment",
        "numpy_experiments.linear_ae_experiment",
        "numpy_experiments.logistic_regression_baseline",
        "datamodules.ulu_points",
        "datamodules.idx_files",
        "wandb",
        "sklearn.linear_model",
    ]
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "sys.exit(3 if 'torch' in sys.modules else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"torch was imported (rc {result.returncode}): {result.stderr[-2000:]}"
    )
