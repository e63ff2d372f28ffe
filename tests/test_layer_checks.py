"""``layer_check_metrics``: every numpy_ref piece agrees with torch in float64, and says where it is."""

import re
from pathlib import Path

import pytest
import torch

import numpy_ref
from numpy_bridge.layer_checks import layer_check_metrics
from numpy_ref import dict_mlp

REPO_ROOT = Path(__file__).resolve().parents[1]
# In float64 an error is rounding, about eps · (terms summed) · (their size); the longest sum here,
# the seed-002 conv's weight gradient over 2·30·30 positions, stays near 1e-13. A wrong term (a
# missing factor, an index off by one) costs ~1e-1, so one tolerance serves every piece.
TOLERANCE = 1e-9
FLAGS = {"init_within_bounds"}
INIT_FIGURES = {"init_bound", "init_largest_over_bound"}  # conv2d: its init against torch's bound
EXPECTED_PIECES = {
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "relu_function",
    "sigmoid_function",
    "tanh_function",
    "softmax_function",
    "cross_entropy",
    "softmax_cross_entropy",
    "mse_reconstruction",
    "logistic_loss",
    "stable_logistic_loss",
    "mlp",
    "sequential",
    "conv2d",
    "conv2d_padding1",
    "conv2d_stride2_padding1",
    "conv2d_stride3_padding2",
    "maxpool2d",
    "dropout_one",
    "flatten",
    "sgd",
    "sgd_momentum",
    "sgd_nesterov",
    "adam",
    "dict_mlp",
    "sigmoid_net",
}


@pytest.fixture(scope="module")
def metrics():
    return layer_check_metrics(seed=0)


def _pieces(metrics):
    return {key.split("/")[1] for key in metrics if key.count("/") == 2}


def _errors(metrics):
    return {
        key: value
        for key, value in metrics.items()
        if key.count("/") == 2 and "max_abs" in key.split("/")[2]
    }


def test_it_covers_every_numpy_ref_piece(metrics):
    missing = EXPECTED_PIECES - _pieces(metrics)
    assert not missing, f"no check for {sorted(missing)}"
    for key in (
        "check/linear/forward_max_abs",
        "check/linear/grad_input_max_abs",
        "check/linear/grad_weight_max_abs",
        "check/dict_mlp/grad_W1_max_abs",
        "check/dict_mlp/init_within_bounds",
        "check/sigmoid_net/grad_max_abs",
        "check/adam/param_max_abs_after_5_steps",
    ):
        assert key in metrics, f"{key} missing"


def test_every_key_is_an_error_a_flag_or_a_where(metrics):
    for key, value in metrics.items():
        metric = key.split("/")[-1]
        if metric == "where":
            assert isinstance(value, str), key
        else:
            assert isinstance(value, float), f"{key} = {value!r} is not a float"
            assert "max_abs" in metric or metric in FLAGS | INIT_FIGURES, (
                f"{key}: neither an error nor a flag"
            )


def test_every_error_is_below_tolerance(metrics):
    too_large = {k: v for k, v in _errors(metrics).items() if not v < TOLERANCE}  # nan fails too
    assert not too_large, f"NumPy differs from torch by more than {TOLERANCE}: {too_large}"
    assert metrics["check/dict_mlp/init_within_bounds"] == 1.0
    assert metrics["check/conv2d/init_within_bounds"] == 1.0
    # 576 uniform draws reach close to the bound; a bound too tight or too loose would not.
    assert 0.95 < metrics["check/conv2d/init_largest_over_bound"] <= 1.0
    assert abs(metrics["check/conv2d/init_bound"] - (6 / (9 + 576)) ** 0.5) < 1e-12


def test_max_abs_overall_is_the_largest_error(metrics):
    assert metrics["check/max_abs_overall"] == max(_errors(metrics).values())


def test_every_piece_has_a_where_naming_code_that_exists(metrics):
    for piece in _pieces(metrics):
        where = metrics.get(f"check/{piece}/where")
        assert where is not None, f"{piece} has no where"
        path, qualname = where.split(":")
        assert path.startswith("numpy_ref/") and path.endswith(".py"), where
        source = REPO_ROOT / path
        assert source.is_file(), f"{piece}: {source} does not exist"
        name = qualname.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*(def|class) {name}\b", source.read_text(), re.M), (
            f"{piece}: {path} defines no {qualname}"
        )


def test_two_calls_give_identical_metrics(metrics):
    assert layer_check_metrics(seed=0) == metrics


def test_torch_random_state_and_thread_count_are_left_as_they_were():
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    layer_check_metrics(seed=1)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_wrong_backward_shows_in_its_piece_and_in_nets_that_use_it(monkeypatch):
    # Tanh's backward without the (1 - y²) factor: its own check and the tanh MLP must flag it.
    monkeypatch.setattr(numpy_ref.Tanh, "backward", lambda self, grad_out: grad_out)
    broken = layer_check_metrics(seed=0)
    assert broken["check/tanh/grad_input_max_abs"] > 1e-3
    assert broken["check/mlp/grad_0_weight_max_abs"] > 1e-3
    assert broken["check/max_abs_overall"] > 1e-3
    assert broken["check/relu/grad_input_max_abs"] < TOLERANCE  # the others are untouched


def test_weights_beyond_the_seed_002_bound_clear_the_init_flag(monkeypatch):
    initialize = dict_mlp.initialize_weights

    def too_wide(*args, **kwargs):
        params = initialize(*args, **kwargs)
        return {k: v * 2 if k.startswith("W") else v for k, v in params.items()}

    monkeypatch.setattr(dict_mlp, "initialize_weights", too_wide)
    assert layer_check_metrics(seed=0)["check/dict_mlp/init_within_bounds"] == 0.0


def test_another_seed_agrees_too():
    errors = _errors(layer_check_metrics(seed=3))
    assert max(errors.values()) < TOLERANCE, {k: v for k, v in errors.items() if v >= TOLERANCE}
