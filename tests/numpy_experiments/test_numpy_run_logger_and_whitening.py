"""The torch-free run logger (CSV + W&B offline) and the input normaliser folded into a Linear."""

import csv

import numpy as np
import pytest

from labkit.run_logger import RunLogger
from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
from numpy_ref.linear import Linear


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_metrics_csv_gains_columns_without_losing_rows(tmp_path):
    logger = RunLogger(tmp_path, {}, use_wandb=False)
    logger.log_metrics({"train/loss": 2.0}, step=1, epoch=0)
    logger.log_metrics({"train/loss": 1.0}, step=2, epoch=0)
    logger.log_metrics({"train/loss": 0.5, "test/acc": 0.9}, step=3, epoch=1)
    rows = _rows(tmp_path / "metrics.csv")
    assert [r["train/loss"] for r in rows] == ["2.0", "1.0", "0.5"]
    assert [r["test/acc"] for r in rows] == ["", "", "0.9"]
    assert rows[2]["epoch"] == "1" and rows[0]["step"] == "1"


def test_metrics_csv_has_sorted_columns_and_whole_integers_as_a_torch_run_writes_them(tmp_path):
    logger = RunLogger(tmp_path, {}, use_wandb=False)
    logger.log_metrics({"model/params_total": np.int64(50890), "model/params_trainable": 50890}, 0)
    logger.log_metrics({"val/loss": 0.5, "train/acc": 1.0, "run/nonfinite_step": 7}, 3, epoch=0)
    logger.log_metrics({"val/loss": 0.25}, 4, epoch=1)  # known columns: appended, not rewritten
    with open(tmp_path / "metrics.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == sorted(header), header  # labkit/resumable_csv_logger.py sorts its columns
    rows = _rows(tmp_path / "metrics.csv")
    assert rows[0]["model/params_total"] == rows[0]["model/params_trainable"] == "50890"
    assert (rows[1]["step"], rows[1]["epoch"], rows[1]["run/nonfinite_step"]) == ("3", "0", "7")
    assert (rows[1]["train/acc"], rows[2]["val/loss"]) == ("1.0", "0.25")  # a float stays one


def test_wandb_run_is_offline_and_lives_in_the_run_dir(tmp_path):
    with RunLogger(
        tmp_path, {"lr": 0.1}, name="t", group="g", tags=["numpy"], offline=True
    ) as logger:
        logger.log_metrics({"loss": 1.0}, step=0)
        logger.log_table("final", ["figure", "value"], [["acc", 0.5]])
        logger.log_summary({"acc": 0.5})
        run_dir = logger.wandb_dir
    assert run_dir is not None and run_dir.parent == tmp_path / "wandb"
    assert run_dir.name.startswith("offline-run-")
    assert list(run_dir.glob("*.wandb")), "no offline W&B data written"


def test_wandb_disabled_by_the_user_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    with RunLogger(tmp_path, {}, offline=True) as logger:
        logger.log_metrics({"loss": 1.0}, step=0)
    assert not (tmp_path / "wandb").exists() or not list((tmp_path / "wandb").glob("offline-run-*"))
    assert (tmp_path / "metrics.csv").exists()


@pytest.mark.parametrize("kind", ["whiten", "standardise", "none"])
def test_normaliser_folds_into_an_equivalent_raw_data_linear(kind):
    rng = np.random.default_rng(0)
    points = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 3)) + 5
    normaliser = fit_normaliser(points, kind)
    layer = Linear(3, 2, dtype=np.float64, rng=rng)
    layer.params["bias"][:] = rng.standard_normal(2)
    raw_w, raw_b = normaliser.fold_into(layer.params["weight"], layer.params["bias"])
    np.testing.assert_allclose(
        points @ raw_w.T + raw_b, layer.forward(normaliser(points)), atol=1e-10
    )


def test_whitened_points_have_identity_covariance():
    rng = np.random.default_rng(1)
    points = rng.standard_normal((1000, 3)) @ np.diag([10.0, 1.0, 0.1]) + 3
    z = fit_normaliser(points, "whiten")(points)
    np.testing.assert_allclose(z.T @ z / len(z), np.eye(3), atol=1e-10)
