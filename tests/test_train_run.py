"""Whole runs of train(cfg) on tiny data: artefacts, learning, reproducibility, W&B offline files."""

import csv
import json
from pathlib import Path

import pytest
import torch

from labkit.training import train

# 16 batches per epoch of the tiny data: log every step.
TINY = ("trainer.max_epochs=2", "trainer.log_every_n_steps=1", "callbacks.progress_bar=null")


def test_fast_dev_run_of_the_default_experiment(make_cfg):
    metrics = train(make_cfg("experiment=mnist_mlp", "trainer.fast_dev_run=true"))
    assert {"test/acc", "test/loss"} <= set(metrics)


def test_lightnings_step_settings_reach_the_trainer_as_configured(make_cfg):
    # Clipping and accumulation are Lightning's own; labkit passes them through unchanged.
    cfg = make_cfg(
        "trainer.max_epochs=1",
        "trainer.gradient_clip_val=0.5",
        "trainer.accumulate_grad_batches=2",
        "++trainer.limit_train_batches=10",
        "callbacks.progress_bar=null",
        "logger=csv",
    )
    metrics = train(cfg)
    assert metrics["test/acc"] > 0
    last = torch.load(Path(cfg.paths.output_dir) / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == 5, "10 batches with a step every 2"


def test_run_dir_holds_config_metrics_checkpoints_plots_and_wandb(make_cfg, tmp_path):
    metrics = train(make_cfg(*TINY))
    run = tmp_path / "run"
    assert (run / "checkpoints" / "best.ckpt").is_file() and (
        run / "checkpoints" / "last.ckpt"
    ).is_file()
    for png in ("curves.png", "test_predictions.png"):
        assert (run / "plots" / png).stat().st_size > 5000, f"{png} missing or empty"
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    logged = {k for row in rows for k, v in row.items() if v}
    assert {
        "train/loss",
        "train/loss_epoch",
        "train/acc",
        "val/loss",
        "val/acc",
        "test/acc",
    } <= logged
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["test/acc"] == pytest.approx(metrics["test/acc"])
    # The tiny images are easy: a real training loop gets most of them right in two epochs.
    assert metrics["test/acc"] > 0.8


def test_same_seed_gives_identical_metrics(make_cfg, tmp_path):
    first = train(make_cfg(*TINY, run_dir="a"))
    second = train(make_cfg(*TINY, run_dir="b"))
    assert first == second
    csv_a = (tmp_path / "a" / "metrics.csv").read_text()
    assert csv_a == (tmp_path / "b" / "metrics.csv").read_text()
    third = train(make_cfg(*TINY, "seed=7", run_dir="c"))
    assert third["test/loss"] != first["test/loss"], "the seed has no effect"


def test_offline_wandb_run_leaves_media_and_a_syncable_record(make_cfg, tmp_path):
    train(make_cfg(*TINY))
    runs = list((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, "expected exactly one offline W&B run"
    run = runs[0]
    assert list(run.glob("run-*.wandb")), "no .wandb record for `wandb sync`"
    images = sorted(p.name for p in (run / "files" / "media" / "images").rglob("*.png"))
    assert [n.split("_")[0] for n in images] == ["curves", "test"], f"found {images}"
    tables = list((run / "files" / "media" / "table").rglob("*.table.json"))
    assert tables and "test/acc" in Path(tables[0]).read_text()


def test_a_run_without_loggers_trains_and_tests(make_cfg, tmp_path):
    # LearningRateMonitor needs a logger; with logger=none it must step aside, not stop the run.
    metrics = train(make_cfg(*TINY, "logger=none"))
    assert metrics["test/acc"] > 0.8
    assert not (tmp_path / "run" / "metrics.csv").exists()
