"""Whole tiny runs of the multitask and autoencoder experiments: what each leaves in its run dir."""

import csv
import json

import pytest

from labkit.training import train

TINY = ("trainer.max_epochs=2", "trainer.log_every_n_steps=1", "callbacks.progress_bar=null")


def _logged(run_dir) -> set[str]:
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    return {k for row in rows for k, v in row.items() if v}


def test_multimnist_logs_each_task_and_draws_samples_and_predictions(make_cfg, tmp_path):
    cfg = make_cfg(
        "experiment=multimnist", *TINY, "data.train_samples=400", "data.test_samples=100"
    )
    metrics = train(cfg)
    run = tmp_path / "run"
    expected = {
        f"{s}/task{t}/{m}" for s in ("val", "test") for t in (1, 2) for m in ("acc", "loss")
    }
    assert expected | {"val/acc", "val/acc_best", "test/acc", "train/loss"} <= _logged(run)
    summary = json.loads((run / "summary.json").read_text())
    for key in ("test/task1/acc", "test/task2/acc", "test/acc"):
        assert summary[key] == pytest.approx(metrics[key]), f"{key} missing from summary.json"
    assert summary["test/acc"] == pytest.approx(
        (summary["test/task1/acc"] + summary["test/task2/acc"]) / 2
    )
    for png in ("samples.png", "test_predictions.png", "curves.png"):
        assert (run / "plots" / png).stat().st_size > 5000, f"{png} missing or empty"
    assert (run / "checkpoints" / "best.ckpt").is_file()


def test_autoencoder_keeps_the_lowest_val_mse_and_draws_reconstructions_and_codes(
    make_cfg, tmp_path
):
    metrics = train(make_cfg("experiment=mnist_autoencoder", *TINY))
    run = tmp_path / "run"
    assert {"train/loss_epoch", "val/loss", "val/loss_best", "test/loss"} <= _logged(run)
    assert "test/acc" not in metrics
    rows = [r for r in csv.DictReader((run / "metrics.csv").open()) if r["val/loss"]]
    val = [float(r["val/loss"]) for r in rows]
    assert float(rows[-1]["val/loss_best"]) == pytest.approx(min(val))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["test/loss"] == pytest.approx(metrics["test/loss"])
    for png in ("reconstructions.png", "latent_codes.png", "curves.png"):
        assert (run / "plots" / png).stat().st_size > 5000, f"{png} missing or empty"
