"""numpy_theory_checks: the saddle of the deep linear net and seed 004's backprop, checked."""

import csv
import json
import math

import numpy as np
import pytest

from numpy_experiments.theory_checks.backprop_check import check_backprop
from numpy_experiments.theory_checks.deep_linear_saddle import (
    SaddleInstance,
    check_saddles,
    rank_one_path,
)
from numpy_experiments.theory_checks.saddle_plot import save_saddle_directions
from numpy_ref.activations import sigmoid
from numpy_ref.sigmoid_net import predict
from tests.helpers.figure_checks import clipped_texts, record_saved_figures
from tests.helpers.train_numpy_subprocess import run_script


def _strict_json(text):
    """json.loads that refuses the NaN / Infinity tokens Python's json.dumps would write."""

    def refuse(token):
        raise ValueError(f"summary.json holds {token}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_tiny_run_finds_the_saddle_and_matches_backprop_without_torch(tmp_path):
    run_dir = tmp_path / "run"
    result, torch_loaded = run_script(
        "train_numpy.py",
        tmp_path,
        "experiment=numpy_theory_checks",
        "theory_checks.saddle.instances=3",
        "theory_checks.saddle.grid_points=5",
        "theory_checks.saddle.plot_points=40",
        "theory_checks.backprop.instances=2",
        "theory_checks.backprop.batch_size=4",
        "run_logger.use_wandb=false",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "the numpy_theory_checks path imported torch"
    s = _strict_json((run_dir / "summary.json").read_text())
    assert s["status"] == "finished" and s["job"] == "theory", s
    # Seed 001, 4.1: zero gradient at W = 0 (exactly), a lower and a higher point in every instance.
    assert s["saddle/instances"] == 3
    assert s["saddle/max_grad_norm_at_zero"] == 0.0, s
    assert s["saddle/min_grad_norm_at_zero_one_layer"] > 0, "L = 0: the gradient is -YXᵀ ≠ 0"
    assert s["saddle/grad_fd_max_rel_error"] < 1e-6, s
    assert s["saddle/instances_lower_found"] == s["saddle/instances_higher_found"] == 3, s
    assert s["saddle/min_decrease"] > 0 and s["saddle/min_increase"] > 0, s
    assert s["saddle/max_closed_form_rel_error"] < 1e-12, s
    # Seed 004 §1.4 and §1.3.
    assert s["backprop/instances"] == 2
    assert s["backprop/max_rel_error"] < 1e-6, s
    assert s["backprop/formula_vs_numpy_ref_max_rel_error"] < 1e-12, s
    assert s["logistic/naive_is_nan"] == 1 and s["logistic/naive_is_finite"] == 0, s
    # log(1 + e^{-1e10}) ≈ e^{-1e10} rounds to 0 in float64: the stable loss must give exactly that.
    assert s["logistic/stable_loss"] == math.log1p(math.exp(-1e10)) == 0.0, s
    assert (run_dir / "plots" / "saddle_directions.png").stat().st_size > 1000
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == ["0", "1", "2"], rows
    assert all(float(r["saddle/decrease"]) > 0 for r in rows), rows


def test_backprop_check_catches_a_gradient_that_forgets_the_sigmoid_derivative():
    def without_sigma_prime(X, y, W):
        z1, _, y_hat = predict(X, W)
        delta2 = (y_hat - y) / len(X)
        delta1 = delta2[:, None] * W["w_2"][:, 0]  # the σ'(z1) factor left out
        return {"w_1": X.T @ delta1, "w_2": (sigmoid(z1).T @ delta2)[:, None]}

    wrong = check_backprop(2, 8, 1e-5, np.random.default_rng(0), analytic=without_sigma_prime)
    assert min(r.fd_rel_error for r in wrong) > 0.1, [r.fd_rel_error for r in wrong]
    assert min(r.formula_rel_error for r in wrong) > 0.1
    right = check_backprop(2, 8, 1e-5, np.random.default_rng(0))
    assert max(r.fd_rel_error for r in right) < 1e-6


def test_no_saddle_is_claimed_when_y_x_transpose_is_zero():
    # Y's row is orthogonal to X's: YXᵀ = 0 and W = 0 is a global minimum instead.
    instance = SaddleInstance(widths=[1, 1, 1], X=np.array([[1.0, 0.0]]), Y=np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="Y Xᵀ = 0"):
        rank_one_path(instance, np.random.default_rng(0))


def test_saddle_plot_has_one_labelled_panel_per_depth_and_nothing_clipped(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    results = check_saddles(3, [1, 2, 3], 4, 6, 0.1, 3, 1e-5, np.random.default_rng(1))
    save_saddle_directions(results, tmp_path / "saddle_directions.png", 40)
    (fig,) = saved
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        lowering, raising, _ = ax.get_lines()
        assert lowering.get_ydata()[1:].max() < 0 < raising.get_ydata()[1:].min()
    assert clipped_texts(fig) == []
