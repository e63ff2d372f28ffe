"""The shared Layer API: shape errors, state dicts, zero_grad and dtypes."""

import numpy as np
import pytest

from numpy_ref.conv import Conv2d
from numpy_ref.dropout import DropoutOne
from numpy_ref.linear import Linear
from numpy_ref.pooling import MaxPool2d
from numpy_ref.sequential import MLP


def test_linear_forward_with_wrong_width_names_layer_expected_and_given_shape():
    layer = Linear(4, 3)
    with pytest.raises(
        ValueError, match=r"Linear\(in_features=4.*expected input of shape \(N, 4\), got \(2, 5\)"
    ):
        layer.forward(np.zeros((2, 5), np.float32))


def test_linear_forward_with_wrong_rank_raises():
    with pytest.raises(ValueError, match=r"Linear.*\(N, 4\), got \(4,\)"):
        Linear(4, 3).forward(np.zeros(4, np.float32))


def test_conv_forward_with_wrong_channels_names_layer_expected_and_given_shape():
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(3, 8.*expected input of shape \(N, 3, H, W\).*got \(2, 1, 8, 8\)",
    ):
        Conv2d(3, 8, 3).forward(np.zeros((2, 1, 8, 8), np.float32))


def test_conv_forward_with_image_smaller_than_kernel_raises():
    with pytest.raises(ValueError, match=r"Conv2d.*got \(1, 1, 2, 9\)"):
        Conv2d(1, 1, 5, padding=1).forward(np.zeros((1, 1, 2, 9), np.float32))


def test_pool_and_dropout_reject_wrong_rank():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2, stride=2\).*got \(4, 4\)"):
        MaxPool2d().forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"DropoutOne\(p=0.5\).*\(N, D\).*got \(2, 3, 4\)"):
        DropoutOne().forward(np.zeros((2, 3, 4)))


def test_loading_wrong_shape_weight_names_layer_parameter_expected_and_given():
    layer = Linear(4, 3)
    state = layer.state_dict()
    state["weight"] = np.zeros((4, 3))
    with pytest.raises(
        ValueError, match=r"Linear\(in_features=4.*'weight' expects shape \(3, 4\), got \(4, 3\)"
    ):
        layer.load_state_dict(state)


def test_loading_wrong_shape_into_mlp_names_the_index_and_leaves_weights_unchanged():
    mlp = MLP([5, 4, 3], rng=np.random.default_rng(0))
    before = mlp.state_dict()
    bad = {key: value + 1 for key, value in before.items()}
    bad["2.bias"] = np.zeros(4)
    with pytest.raises(
        ValueError, match=r"layer 2 Linear.*'bias' \('2.bias'\) expects shape \(3,\), got \(4,\)"
    ):
        mlp.load_state_dict(bad)
    for key, value in mlp.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_loading_missing_or_extra_keys_raises():
    mlp = MLP([5, 4, 3])
    state = mlp.state_dict()
    del state["0.bias"]
    state["1.weight"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing \['0.bias'\], unexpected \['1.weight'\]"):
        mlp.load_state_dict(state)


def test_state_dict_is_a_copy_and_load_writes_in_place():
    layer = Linear(3, 2, dtype=np.float64)
    weight = layer.params["weight"]
    state = layer.state_dict()
    state["weight"][...] = 7.0
    assert not np.any(weight == 7.0)
    layer.load_state_dict(state)
    assert layer.params["weight"] is weight and np.all(weight == 7.0)


def test_load_casts_to_the_parameter_dtype():
    layer = Conv2d(2, 3, 3)  # float32 parameters
    layer.load_state_dict({k: v.astype(np.float64) for k, v in layer.state_dict().items()})
    assert layer.params["weight"].dtype == np.float32


def test_zero_grad_clears_every_gradient():
    mlp = MLP([3, 4, 2], dtype=np.float64)
    out = mlp.forward(np.ones((2, 3)))
    mlp.backward(np.ones_like(out))
    assert any(np.any(grad != 0) for _, _, grad in mlp.parameters())
    mlp.zero_grad()
    assert all(np.all(grad == 0) for _, _, grad in mlp.parameters())


def test_init_weights_is_reproducible_from_a_generator():
    a, b = MLP([6, 5, 2]), MLP([6, 5, 2])
    a.init_weights(np.random.default_rng(3))
    b.init_weights(np.random.default_rng(3))
    for (name, pa, _), (_, pb, _) in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa, pb, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_are_created_in_the_requested_dtype(dtype):
    for layer in (
        Linear(3, 2, dtype=dtype),
        Conv2d(1, 2, 3, dtype=dtype),
        MLP([3, 2], dtype=dtype),
    ):
        assert all(p.dtype == dtype and g.dtype == dtype for _, p, g in layer.parameters())
