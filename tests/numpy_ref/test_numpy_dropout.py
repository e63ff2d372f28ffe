import numpy as np
import pytest
import torch

from numpy_ref.dropout import DropoutOne
from tests.helpers.gradcheck import assert_close, check_layer_gradients, torch_leaf


class FixedUniforms:
    """Stands in for the generator so that every forward draws the same mask."""

    def __init__(self, values):
        self.values = values

    def random(self, size):
        assert size == len(self.values)
        return self.values


def test_dropout_one_zeros_only_the_first_feature_of_dropped_rows():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 4)) + 10  # no zeros in x
    y = DropoutOne(rng=np.random.default_rng(1)).forward(x)
    np.testing.assert_array_equal(y[:, 1:], x[:, 1:])
    dropped = y[:, 0] == 0
    np.testing.assert_array_equal(y[~dropped, 0], x[~dropped, 0])  # kept values: no rescaling
    assert 0 < dropped.sum() < 1000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_one_drop_rate_is_p(p):
    n = 200_000
    y = DropoutOne(p=p, rng=np.random.default_rng(2)).forward(np.ones((n, 2)))
    rate = np.mean(y[:, 0] == 0)
    assert abs(rate - p) < 5 * np.sqrt(p * (1 - p) / n), f"drop rate {rate} for p={p}"


def test_dropout_one_backward_masks_the_same_entries_as_forward():
    layer = DropoutOne(rng=np.random.default_rng(3))
    x = np.random.default_rng(4).standard_normal((500, 3)) + 10
    y = layer.forward(x)
    grad_in = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad_in[:, 0] == 0, y[:, 0] == 0)
    np.testing.assert_array_equal(grad_in[:, 1:], 1.0)


def test_dropout_one_grads_match_finite_differences_with_mask_fixed():
    rng = np.random.default_rng(5)
    layer = DropoutOne()
    layer.rng = FixedUniforms(np.array([0.1, 0.9, 0.3, 0.7, 0.6, 0.2]))
    check_layer_gradients(layer, rng.standard_normal((6, 3)), rng, count=18)


def test_dropout_one_matches_torch_masking_expression():
    rng = np.random.default_rng(6)
    uniforms = rng.random(8)
    layer = DropoutOne(p=0.5)
    layer.rng = FixedUniforms(uniforms)
    x = rng.standard_normal((8, 3))
    y = layer.forward(x)
    keep = torch.ones(8, 3, dtype=torch.float64)
    keep[:, 0] = torch.from_numpy((uniforms >= 0.5).astype(np.float64))
    x_t = torch_leaf(x)
    y_t = x_t * keep
    assert_close("output", y, y_t)
    grad_out = rng.standard_normal(y.shape)
    y_t.backward(torch.from_numpy(grad_out))
    assert_close("input gradient", layer.backward(grad_out), x_t.grad)


def test_dropout_one_is_the_identity_in_eval_mode():
    layer = DropoutOne(p=1.0).eval()
    x = np.random.default_rng(7).standard_normal((5, 2))
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))
    layer.train()
    assert np.all(layer.forward(x)[:, 0] == 0)  # p = 1 drops every row in training


def test_dropout_one_rejects_probability_outside_unit_interval():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        DropoutOne(p=1.5)
