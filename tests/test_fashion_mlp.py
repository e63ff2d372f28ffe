"""fashion_mlp: the torch MLP and its NumPy twin trained side by side on tiny FashionMNIST files."""

from __future__ import annotations

import csv
import json

import pytest

from labkit.training import train

TINY = (
    "experiment=fashion_mlp",
    "trainer.max_epochs=2",
    "callbacks.progress_bar=null",
    "logger=csv",
    "model.net.hidden_sizes=[32,16]",
)


def test_the_twin_follows_the_net_step_for_step_and_both_results_are_kept(make_cfg, tmp_path):
    metrics = train(make_cfg(*TINY))
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    for key in ("test/acc", "numpy/test/acc", "time/train_s", "numpy/time/train_s"):
        assert key in summary, f"{key} missing from summary.json: {sorted(summary)}"
    assert summary["numpy/test/acc"] > 0.8 and summary["test/acc"] > 0.8
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    epochs = {}
    for row in rows:
        if row.get("numpy/train/loss_epoch") or row.get("numpy/val/acc"):
            epochs.setdefault(row["epoch"], {}).update({k: float(v) for k, v in row.items() if v})
    assert len(epochs) == 2
    for values in epochs.values():
        # Same initial weights, same batches, same Adam: float32 rounding apart, the same run.
        assert values["numpy/train/loss_epoch"] == pytest.approx(
            values["train/loss_epoch"], rel=1e-4
        )
        assert values["numpy/val/acc"] == pytest.approx(values["val/acc"], abs=0.011)
    assert metrics["numpy/test/acc"] == pytest.approx(metrics["test/acc"], abs=0.011)
    for name in ("train_loss", "val_acc"):
        assert (run / "plots" / f"torch_vs_numpy_{name}.png").stat().st_size > 5000
    assert any(row.get("parity/max") for row in rows), "the parity check did not run"


def test_fashion_mlp_is_the_seed_study_and_its_sweeps_change_only_their_variable(make_cfg):
    cfg = make_cfg("experiment=fashion_mlp", tiny=False)
    assert cfg.data._target_.endswith("FashionMNISTDataModule") and cfg.data.val_size == 12000
    assert list(cfg.model.net.hidden_sizes) == [256, 128] and cfg.model.net.in_features == 784
    assert cfg.model.optimizer.lr == 0.002 and cfg.trainer.max_epochs == 10
    assert {"numpy_twin", "numpy_parity"} <= set(cfg.callbacks)
    sweeps = {
        "fashion_mlp_lr": ("model.optimizer.lr", "2e-5,0.002,0.2"),
        "fashion_mlp_sizes": (
            "model.net.hidden_sizes",
            "[8,128],[16,128],[64,128],[1024,128],[256,8],[256,16],[256,64],[256,1024],[256]",
        ),
    }
    for name, (key, values) in sweeps.items():
        swept = make_cfg(f"experiment={name}", tiny=False, run_dir=name)
        assert swept.hydra.sweeper.params[key] == values
        assert swept.task_name == name and swept.trainer.max_epochs == 10
        assert swept.callbacks.numpy_twin.title.startswith(name)
    lr_job = make_cfg("experiment=fashion_mlp_lr", "model.optimizer.lr=2e-5", tiny=False)
    assert lr_job.callbacks.numpy_twin.title == "fashion_mlp_lr, lr 2e-05"
