"""demo.py's measurements of seed 003's torch loop: each property it shows, and the whole entry."""

from __future__ import annotations

import json
import math

import pytest
from hydra.core.global_hydra import GlobalHydra

from labkit.compose import compose_run_config
from loop_demos.mnist_tensors import load_mnist_tensors
from loop_demos.p1a_cross_entropy import cross_entropy_of_prediction
from loop_demos.p1b_loss_gradients import loss_gradients
from loop_demos.p3d_missing_backward import missing_backward
from loop_demos.p3e_missing_zero_grad import missing_zero_grad
from loop_demos.p3f_train_eval_layers import dropout_and_batchnorm_modes
from tests.helpers.figure_checks import clipped_texts, record_saved_figures, unlabelled_axes
from tests.helpers.train_numpy_subprocess import run_script

SEED_PREDICTION = [0.1, 0.1, 0.0, 0.4, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1]
TINY = (
    "mnist.train_size=500",
    "mnist.test_size=200",
    "training.steps=30",
    "p3d.steps=5",
    "p3e.accumulated_steps=3",
    "p3f.batch_size=16",
    "p3f.warmup_batches=5",
    "p3g.test_batch_sizes=[200,4,2]",
    "p1b.sweep_points=9",
)


@pytest.fixture
def tiny_mnist(tmp_path, tiny_data_root):
    return load_mnist_tensors("MNIST", tmp_path / "cache", tiny_data_root, False, 500, 200, seed=0)


def test_p1a_cross_entropy_is_minus_natural_log_of_the_label_probability():
    metrics = cross_entropy_of_prediction(SEED_PREDICTION, label=3)
    assert metrics["p1a/cross_entropy"] == pytest.approx(-math.log(0.4), rel=1e-12)
    assert metrics["p1a/cross_entropy_from_logits"] == pytest.approx(-math.log(0.4), rel=1e-12)
    # The student's 0.397 is base 10, and positive (not -0.397).
    assert metrics["p1a/cross_entropy_log10"] == pytest.approx(-math.log10(0.4), rel=1e-12)


def test_p1b_gradients_are_the_textbook_formulas():
    metrics = loss_gradients({"right": (0.9, None), "wrong": (0.1, 0.8)}, 3, 5, sweep_points=3)
    for case, p_true, p_wrong in (("right", 0.9, 0.1 / 9), ("wrong", 0.1, 0.8)):
        # CE after a softmax: dCE/dz = ŷ - y; on the probabilities: -1/ŷ_label, 0 elsewhere.
        assert metrics[f"p1b/{case}/ce_grad_logit_true"] == pytest.approx(p_true - 1)
        assert metrics[f"p1b/{case}/ce_grad_logit_wrong"] == pytest.approx(p_wrong)
        assert metrics[f"p1b/{case}/ce_grad_prob_true"] == pytest.approx(-1 / p_true)
        assert metrics[f"p1b/{case}/ce_grad_prob_wrong"] == 0.0
        # MSE is the mean over 10 components: dMSE/dŷ_k = 2 (ŷ_k - y_k) / 10.
        assert metrics[f"p1b/{case}/mse_grad_prob_true"] == pytest.approx(2 * (p_true - 1) / 10)
        assert metrics[f"p1b/{case}/ce_over_mse_logit_true"] > 1


def test_p3d_without_backward_the_weights_do_not_change_at_all(tiny_mnist):
    metrics = missing_backward(tiny_mnist, hidden=16, steps=5, batch_size=32, lr=0.01, seed=0)
    assert metrics["p3d/max_abs_weight_change"] == 0.0
    assert metrics["p3d/params_with_grad"] == 0.0
    assert metrics["p3d/test_acc_after"] == metrics["p3d/test_acc_before"]
    assert metrics["p3d/max_abs_weight_change_with_backward"] > 0.0


def test_p3e_without_zero_grad_grad_is_the_sum_of_the_batch_gradients(tiny_mnist):
    metrics = missing_zero_grad(
        tiny_mnist, hidden=16, steps=10, accumulated_steps=4, batch_size=32, lr=0.01, seed=0
    )
    assert metrics["p3e/accumulated_rel_diff"] < 1e-6, metrics
    assert metrics["p3e/accumulated_over_fresh_norm"] > 1.5, metrics


def test_p3f_train_mode_outputs_vary_and_eval_mode_outputs_do_not(tiny_mnist):
    metrics = dropout_and_batchnorm_modes(
        tiny_mnist, dropout=0.5, batch_size=16, warmup_batches=3, seed=0
    )
    assert metrics["p3f/dropout_train_max_abs_diff"] > 0.0
    assert 0.3 < metrics["p3f/dropout_train_zeroed_fraction"] < 0.7
    assert metrics["p3f/dropout_train_kept_scale"] == pytest.approx(2.0)
    assert metrics["p3f/dropout_eval_max_abs_diff"] == 0.0
    assert metrics["p3f/dropout_eval_max_abs_change"] == 0.0
    assert metrics["p3f/batchnorm_train_max_abs_diff"] > 0.0
    assert metrics["p3f/batchnorm_eval_max_abs_diff"] == 0.0


def test_demo_py_help_answers_without_torch(tmp_path):
    result, torch_loaded = run_script("demo.py", tmp_path, "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test_batch_sizes" in result.stdout and "demo.py" in result.stdout
    assert not torch_loaded, "python demo.py --help imported torch"


def test_demo_py_finishes_its_record_and_a_second_run_gives_the_same_numbers(
    tmp_path, tiny_data_root, monkeypatch
):
    data = (f"paths.labkit_data={tiny_data_root}", f"paths.data_dir={tmp_path / 'cache'}")
    result, _ = run_script("demo.py", tmp_path, *TINY, *data, "hydra.run.dir=first")
    assert result.returncode == 0, result.stderr[-3000:]
    first = json.loads((tmp_path / "first" / "summary.json").read_text())
    assert first["status"] == "finished" and first["job"] == "demo", first
    assert first["p1a/cross_entropy"] == pytest.approx(-math.log(0.4))
    assert first["p3d/max_abs_weight_change"] == 0.0
    assert len({v for k, v in first.items() if k.startswith("p3g/eval_mode/")}) == 1, first
    plots = sorted(p.name for p in (tmp_path / "first" / "plots").iterdir())
    assert plots == [
        "p1b_gradient_sweep.png",
        "p1c_softmax_before_loss.png",
        "p3e_missing_zero_grad.png",
        "p3g_forgotten_eval.png",
    ]

    from loop_demos.run import run_demos

    figures = record_saved_figures(monkeypatch)
    cfg = compose_run_config([*TINY, *data], tmp_path / "second", config_name="demo")
    GlobalHydra.instance().clear()
    second = run_demos(cfg)
    measured = {k: v for k, v in first.items() if "/" in k}
    assert second == measured, {
        k: (v, second.get(k)) for k, v in measured.items() if second.get(k) != v
    }
    assert len(figures) == 4
    for fig in figures:
        assert not clipped_texts(fig) and not unlabelled_axes(fig), (
            clipped_texts(fig),
            unlabelled_axes(fig),
        )
