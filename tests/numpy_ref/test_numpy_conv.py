import numpy as np
import pytest
import torch

from numpy_ref.activations import ReLU
from numpy_ref.conv import Conv2d
from numpy_ref.sequential import Sequential
from tests.helpers.gradcheck import check_layer_gradients, check_torch_parity

# (batch, in_channels, height, width, out_channels, kernel_size, stride, padding)
CASES = [
    (2, 1, 5, 5, 1, 3, 1, 0),
    (3, 2, 7, 6, 4, 3, 1, 1),
    (2, 3, 8, 9, 5, (2, 3), 2, 1),
    (1, 4, 10, 10, 3, 5, 3, 2),  # stride leaves a remainder row/column unused
    (2, 3, 9, 8, 4, (3, 1), (1, 2), (2, 0)),
    (2, 6, 8, 8, 4, 1, 2, 0),  # ResNet's 1×1 stride-2 shortcut
    (2, 1, 32, 32, 64, 3, 1, 0),  # seed 002 Q2's layer: 1×32×32 inputs, 64 3×3 filters
]
IDS = [f"N{c[0]}C{c[1]}H{c[2]}W{c[3]}O{c[4]}k{c[5]}s{c[6]}p{c[7]}" for c in CASES]


def _layer_and_input(case, bias, seed):
    n, c, h, w, o, k, s, p = case
    rng = np.random.default_rng(seed)
    layer = Conv2d(c, o, k, stride=s, padding=p, bias=bias, dtype=np.float64, rng=rng)
    if bias:
        layer.params["bias"][...] = rng.standard_normal(o)
    return layer, rng.standard_normal((n, c, h, w)), rng


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_output_and_grads_match_torch(case, bias):
    layer, x, rng = _layer_and_input(case, bias, seed=0)
    n, c, h, w, o, k, s, p = case
    module = torch.nn.Conv2d(c, o, k, stride=s, padding=p, bias=bias)
    check_torch_parity(layer, module, x, rng)


@pytest.mark.parametrize("case", CASES[:-1], ids=IDS[:-1])
def test_conv2d_grads_match_finite_differences(case):
    layer, x, rng = _layer_and_input(case, bias=True, seed=1)
    check_layer_gradients(layer, x, rng, count=6)


def test_conv_relu_conv_stack_matches_torch():
    # The first conv hands a channel-major view to ReLU and the second conv; values must not care.
    rng = np.random.default_rng(2)
    net = Sequential(
        Conv2d(2, 4, 3, padding=1, dtype=np.float64, rng=rng),
        ReLU(),
        Conv2d(4, 3, 3, stride=2, dtype=np.float64, rng=rng),
    )
    module = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 3, 3, stride=2)
    )
    check_torch_parity(net, module, rng.standard_normal((3, 2, 9, 9)), rng)


def test_conv2d_output_shape_formula():
    layer = Conv2d(3, 5, (3, 5), stride=(2, 1), padding=(1, 2))
    y = layer.forward(np.zeros((4, 3, 11, 7), np.float32))
    assert y.shape == (4, 5, (11 + 2 - 3) // 2 + 1, (7 + 4 - 5) // 1 + 1)
    assert layer.output_shape(11, 7) == y.shape[2:]


def test_conv2d_keeps_float32():
    layer = Conv2d(2, 3, 3, padding=1)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    grad_x = layer.backward(np.ones_like(y))
    assert y.dtype == grad_x.dtype == layer.grads["weight"].dtype == np.float32


def test_conv2d_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="kernel_size and stride must be ≥ 1"):
        Conv2d(1, 1, 3, stride=0)


def test_conv2d_without_input_grad_returns_none_and_the_same_parameter_grads():
    full, x, rng = _layer_and_input(CASES[1], bias=True, seed=3)
    lean, _, _ = _layer_and_input(CASES[1], bias=True, seed=3)
    lean.input_grad = False
    grad_out = rng.standard_normal(full.forward(x).shape)
    lean.forward(x)
    assert full.backward(grad_out) is not None and lean.backward(grad_out) is None
    for name, grad in full.grads.items():
        np.testing.assert_array_equal(lean.grads[name], grad, err_msg=name)
