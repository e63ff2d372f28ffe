import numpy as np
import pytest
import torch

from numpy_ref.linear import Dense, Linear
from tests.helpers.gradcheck import check_layer_gradients, check_torch_parity

SHAPES = [(1, 1, 1), (4, 3, 2), (7, 10, 5), (16, 32, 8)]  # (batch, in, out)


@pytest.mark.parametrize(("batch", "n_in", "n_out"), SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grads_match_finite_differences(batch, n_in, n_out, bias):
    rng = np.random.default_rng(batch * 100 + n_in)
    layer = Linear(n_in, n_out, bias=bias, dtype=np.float64, rng=rng)
    check_layer_gradients(layer, rng.standard_normal((batch, n_in)), rng)


@pytest.mark.parametrize(("batch", "n_in", "n_out"), SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_output_and_grads_match_torch(batch, n_in, n_out, bias):
    rng = np.random.default_rng(batch + n_out)
    layer = Linear(n_in, n_out, bias=bias, dtype=np.float64, rng=rng)
    layer.params["bias" if bias else "weight"][...] += rng.standard_normal()  # nonzero bias
    check_torch_parity(
        layer, torch.nn.Linear(n_in, n_out, bias=bias), rng.standard_normal((batch, n_in)), rng
    )


@pytest.mark.parametrize(
    ("init", "limit"),
    [
        ("xavier_uniform", lambda i, o: np.sqrt(6 / (i + o))),
        ("uniform_fan_in", lambda i, o: i**-0.5),
    ],
)
def test_linear_init_is_uniform_within_the_documented_limit(init, limit):
    n_in, n_out = 300, 200
    layer = Linear(n_in, n_out, init=init, rng=np.random.default_rng(0))
    weight = layer.params["weight"]
    bound = limit(n_in, n_out)
    assert np.abs(weight).max() <= bound
    # A uniform sample of 60k values reaches within 1% of both ends and has variance bound²/3.
    assert weight.max() > 0.99 * bound and weight.min() < -0.99 * bound
    assert weight.var() == pytest.approx(bound**2 / 3, rel=0.02)
    assert np.all(layer.params["bias"] == 0)


def test_linear_keeps_float32_and_dense_is_linear():
    layer = Dense(5, 3, rng=np.random.default_rng(0))
    assert Dense is Linear
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.grads["weight"].dtype == np.float32


def test_linear_same_seed_gives_same_weights():
    a = Linear(4, 3, rng=np.random.default_rng(7))
    b = Linear(4, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])


def test_linear_rejects_unknown_init():
    with pytest.raises(ValueError, match=r"unknown init 'he'.*xavier_uniform"):
        Linear(2, 2, init="he")
