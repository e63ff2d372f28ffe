import numpy as np
import pytest
import torch

from numpy_ref.pooling import MaxPool2d
from tests.helpers.gradcheck import assert_close, check_layer_gradients, torch_leaf

# (batch, channels, height, width, kernel_size, stride)
CASES = [
    (2, 3, 4, 4, 2, None),
    (1, 2, 7, 5, 2, None),  # odd sizes: the last row/column is dropped, as in torch
    (2, 2, 7, 7, 3, 2),  # overlapping windows
    (1, 1, 6, 6, 3, 1),
    (2, 4, 9, 9, 3, None),
    (3, 1, 5, 8, 2, 3),  # gaps between windows
]
IDS = [f"N{c[0]}C{c[1]}H{c[2]}W{c[3]}k{c[4]}s{c[5]}" for c in CASES]


def _compare_with_torch(case, x, rng):
    n, c, h, w, k, s = case
    layer = MaxPool2d(k, s)
    y = layer.forward(x)
    x_t = torch_leaf(x)
    y_t = torch.nn.MaxPool2d(k, s)(x_t)
    assert_close("output", y, y_t)
    grad_out = rng.standard_normal(y.shape)
    y_t.backward(torch.from_numpy(grad_out))
    assert_close("input gradient", layer.backward(grad_out), x_t.grad)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_maxpool_output_and_grad_match_torch(case):
    rng = np.random.default_rng(0)
    _compare_with_torch(case, rng.standard_normal(case[:4]), rng)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_maxpool_ties_go_to_the_same_input_as_in_torch(case):
    # Values in {0, 1, 2} make most windows tie; torch and we both pick the first maximum.
    rng = np.random.default_rng(1)
    _compare_with_torch(case, rng.integers(0, 3, size=case[:4]).astype(np.float64), rng)


def test_maxpool_routes_a_tied_window_to_its_first_entry():
    layer = MaxPool2d(2)
    layer.forward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(
        layer.backward(np.full((1, 1, 1, 1), 5.0))[0, 0], [[5.0, 0.0], [0.0, 0.0]]
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_maxpool_grad_matches_finite_differences(case):
    rng = np.random.default_rng(2)
    check_layer_gradients(MaxPool2d(case[4], case[5]), rng.standard_normal(case[:4]), rng)


def test_maxpool_sends_each_window_gradient_to_exactly_one_input():
    rng = np.random.default_rng(3)
    layer = MaxPool2d(2)
    layer.forward(rng.standard_normal((2, 3, 6, 6)))
    grad_in = layer.backward(np.ones((2, 3, 3, 3)))
    # Each 2×2 block holds a single 1 (non-overlapping windows, no ties on random data).
    blocks = grad_in.reshape(2, 3, 3, 2, 3, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(blocks, np.ones((2, 3, 3, 3)))
    assert np.count_nonzero(grad_in) == 2 * 3 * 9


def test_maxpool_defaults_to_kernel_two_stride_two_and_keeps_dtype():
    layer = MaxPool2d()
    assert (layer.kernel_size, layer.stride) == (2, 2)
    y = layer.forward(np.zeros((1, 1, 4, 4), np.float32))
    assert y.shape == (1, 1, 2, 2) and y.dtype == np.float32
