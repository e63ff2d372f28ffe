"""configs/debug/: debug=fdr, overfit, profiler and limit compose on any experiment and run tiny."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException

from labkit.training import train


@pytest.mark.parametrize(
    ("debug", "trainer"),
    [
        ("fdr", {"fast_dev_run": True}),
        ("overfit", {"overfit_batches": 3, "max_epochs": 20}),
        ("profiler", {"profiler": "simple", "max_epochs": 1}),
        ("limit", {"limit_train_batches": 0.01, "max_epochs": 3}),
    ],
)
def test_debug_configs_set_lightnings_debug_options_on_one_cpu(make_cfg, debug, trainer):
    cfg = make_cfg("experiment=cifar10_resnet18", f"debug={debug}")
    assert {k: cfg.trainer[k] for k in trainer} == trainer
    assert (cfg.trainer.accelerator, cfg.trainer.devices, cfg.trainer.detect_anomaly) == (
        "cpu",
        1,
        True,
    )
    assert list(cfg.logger) == ["csv"], "no W&B run for a debug run"
    assert cfg.hydra.run.dir.startswith("outputs/debug/cifar10_resnet18/")


@pytest.mark.parametrize("override", ["+debug=fdr", "++debug=fdr"])
def test_adding_debug_as_a_key_is_an_error_not_an_ignored_value(make_cfg, override):
    with pytest.raises(ConfigCompositionException, match="debug"):
        make_cfg(override)


def test_debug_fdr_runs_one_batch_of_each_stage_and_saves_nothing(make_cfg, tmp_path):
    metrics = train(make_cfg("debug=fdr", "callbacks.progress_bar=null"))
    assert {"test/acc", "test/loss"} <= set(metrics)
    assert not (tmp_path / "run" / "checkpoints").exists(), "fast_dev_run writes no checkpoint"


def test_debug_overfit_trains_on_the_same_three_batches(make_cfg, tmp_path):
    train(make_cfg("debug=overfit", "trainer.max_epochs=2", "callbacks.progress_bar=null"))
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 6, "2 epochs of 3 batches"


def test_debug_profiler_reports_where_the_time_went(make_cfg, caplog):
    cfg = make_cfg(
        "debug=profiler",
        "++trainer.limit_train_batches=3",
        "++trainer.limit_val_batches=1",
        "++trainer.limit_test_batches=1",
        "callbacks.progress_bar=null",
    )
    with caplog.at_level(logging.INFO, logger="pytorch_lightning.profilers"):
        train(cfg)
    assert "FIT Profiler Report" in caplog.text and "run_training_epoch" in caplog.text
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "finished"
