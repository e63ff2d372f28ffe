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
