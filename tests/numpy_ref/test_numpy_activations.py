import numpy as np
import pytest
import torch

from numpy_ref.activations import (
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    activation_function,
    get_activation,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from tests.helpers.gradcheck import assert_close, check_layer_gradients, torch_leaf

TORCH_FUNCTIONS = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda t: torch.softmax(t, dim=-1),
}
LAYERS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}
SHAPES = [(1, 1), (5, 3), (8, 17)]


def _inputs(shape, seed):
    """Standard normal entries kept at least 1e-3 away from 0, ReLU's kink."""
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    return np.where(np.abs(x) < 1e-3, 1e-3, x)


@pytest.mark.parametrize("name", sorted(TORCH_FUNCTIONS))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_function_matches_torch(name, shape):
    x = _inputs(shape, 0)
    assert_close(f"{name}(x)", activation_function(name)(x), TORCH_FUNCTIONS[name](torch_leaf(x)))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_elementwise_activation_grad_form_is_torch_derivative(name):
    x_t = torch_leaf(_inputs((6, 4), 1))
    TORCH_FUNCTIONS[name](x_t).sum().backward()  # d/dx_i of Σ f(x_j) = f'(x_i)
    assert_close(
        f"{name}'(x)", activation_function(name)(x_t.detach().numpy(), grad=True), x_t.grad
    )


def test_softmax_grad_form_is_the_per_row_jacobian():
    x = _inputs((3, 5), 2)
    jacobian = softmax(x, grad=True)
    assert jacobian.shape == (3, 5, 5)
    for n in range(x.shape[0]):  # small loop over test rows, to use torch's jacobian per row
        expected = torch.autograd.functional.jacobian(
            lambda row: torch.softmax(row, dim=-1), torch.from_numpy(x[n])
        )
        assert_close(f"softmax Jacobian of row {n}", jacobian[n], expected)


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_layer_grads_match_finite_differences(name, shape):
    rng = np.random.default_rng(3)
    check_layer_gradients(LAYERS[name](), _inputs(shape, 4), rng)


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_layer_output_and_input_grad_match_torch(name, shape):
    rng = np.random.default_rng(5)
    x = _inputs(shape, 6)
    layer = LAYERS[name]()
    x_t = torch_leaf(x)
    y_t = TORCH_FUNCTIONS[name](x_t)
    y = layer.forward(x)
    assert_close(f"{name} output", y, y_t)
    grad_out = rng.standard_normal(y.shape)
    y_t.backward(torch.from_numpy(grad_out))
    assert_close(f"{name} input gradient", layer.backward(grad_out), x_t.grad)


def test_sigmoid_and_tanh_are_finite_and_warning_free_for_huge_inputs():
    x = np.array([-1e300, -1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4, 1e300])
    # Overflow, 0-division or an invalid operation (inf/inf, 0*inf) would raise here; underflow to
    # 0 (exp(-1e300)) is the correct result and allowed.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s, t = sigmoid(x), tanh(x)
        sg, tg = sigmoid(x, grad=True), tanh(x, grad=True)
    expected_s = torch.sigmoid(torch.from_numpy(x)).numpy()
    expected_t = torch.tanh(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(s, expected_s, rtol=1e-15, atol=0, err_msg="sigmoid")
    np.testing.assert_allclose(t, expected_t, rtol=1e-15, atol=0, err_msg="tanh")
    assert np.all(np.isfinite(sg)) and np.all(np.isfinite(tg))


def test_tanh_keeps_full_relative_precision_near_zero():
    x = np.array([1e-300, 1e-12, -1e-8, 1e-4])
    np.testing.assert_allclose(tanh(x), np.tanh(x), rtol=1e-15, atol=0)


def test_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e300, 0.0, 1e300]])
    with np.errstate(over="raise", invalid="raise"):
        s = softmax(x)
    np.testing.assert_allclose(s, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], atol=1e-300)


def test_activations_keep_float32():
    x = _inputs((4, 3), 7).astype(np.float32)
    for name in LAYERS:
        layer = get_activation(name)
        y = layer.forward(x)
        assert y.dtype == np.float32, name
        assert layer.backward(np.ones_like(y)).dtype == np.float32, name
    for f in (relu, sigmoid, tanh, softmax):
        assert f(x).dtype == np.float32 and f(x, grad=True).dtype == np.float32, f.__name__


def test_get_activation_returns_a_new_layer_of_the_named_kind():
    assert isinstance(get_activation("tanh"), Tanh)
    assert get_activation("relu") is not get_activation("relu")


@pytest.mark.parametrize("lookup", [get_activation, activation_function])
def test_unknown_activation_name_lists_the_valid_ones(lookup):
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'.*'relu', 'sigmoid'"):
        lookup("gelu")
