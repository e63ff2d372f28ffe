import numpy as np
import pytest
import torch

from numpy_ref import dict_mlp
from tests.helpers.gradcheck import assert_close, assert_gradient_matches_fd, torch_leaf

SMALL_DIMS = (12, 7, 5, 4)


def _problem(dims, batch, seed):
    rng = np.random.default_rng(seed)
    params = dict_mlp.initialize_weights(dims, rng)
    for key in params:  # nonzero biases, so that their gradients are exercised
        if key.startswith("b"):
            params[key] += 0.1 * rng.standard_normal(params[key].shape)
    x = rng.standard_normal((batch, dims[0]))
    labels = rng.integers(0, dims[-1], size=batch)
    return rng, params, x, labels


def test_initialize_weights_shapes_and_range_follow_the_seed():
    params = dict_mlp.initialize_weights(rng=np.random.default_rng(0))
    expected = {"W1": (784, 128), "b1": (1, 128), "W2": (128, 64), "b2": (1, 64)}
    expected |= {"W3": (64, 10), "b3": (1, 10)}
    assert {k: v.shape for k, v in params.items()} == expected
    limit = 1 / np.sqrt(784)
    for key in ("W1", "W2", "W3"):
        assert np.abs(params[key]).max() <= limit, key
        assert params[key].std() == pytest.approx(limit / np.sqrt(3), rel=0.1), key
    for key in ("b1", "b2", "b3"):
        assert np.all(params[key] == 0), key


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
def test_forward_backward_match_torch_autograd_for_every_cached_tensor(hidden):
    _, params, x, labels = _problem(SMALL_DIMS, 9, 1)
    cache = dict_mlp.forward(params, x, hidden=hidden)
    grads = dict_mlp.backward(params, cache, labels, hidden=hidden)
    dict_mlp_loss = dict_mlp.loss(cache["A3"], labels)

    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[hidden]
    p_t = {key: torch_leaf(value) for key, value in params.items()}
    a = {0: torch_leaf(x)}
    z = {}
    for layer in (1, 2, 3):
        z[layer] = a[layer - 1] @ p_t[f"W{layer}"] + p_t[f"b{layer}"]
        z[layer].retain_grad()
        a[layer] = torch.softmax(z[layer], dim=1) if layer == 3 else act(z[layer])
        a[layer].retain_grad()
    loss_t = torch.nn.functional.cross_entropy(z[3], torch.from_numpy(labels))
    loss_t.backward()

    assert_close("loss", np.float64(dict_mlp_loss), loss_t)
    for layer in (1, 2, 3):
        assert_close(f"Z{layer}", cache[f"Z{layer}"], z[layer])
        assert_close(f"A{layer}", cache[f"A{layer}"], a[layer])
        assert_close(f"dZ{layer}", grads[f"dZ{layer}"], z[layer].grad)
        assert_close(f"dW{layer}", grads[f"dW{layer}"], p_t[f"W{layer}"].grad)
        assert_close(f"db{layer}", grads[f"db{layer}"], p_t[f"b{layer}"].grad)
    for layer in (0, 1, 2):
        assert_close(f"dA{layer}", grads[f"dA{layer}"], a[layer].grad)


def test_backward_matches_finite_differences_of_loss():
    rng, params, x, labels = _problem(SMALL_DIMS, 6, 2)
    grads = dict_mlp.backward(params, dict_mlp.forward(params, x, hidden="tanh"), labels, "tanh")
    objective = lambda: dict_mlp.loss(dict_mlp.forward(params, x, hidden="tanh")["A3"], labels)
    for key, value in params.items():
        assert_gradient_matches_fd(key, objective, value, grads[f"d{key}"], rng, count=6)


def test_full_size_network_forward_gives_probabilities_and_one_hot_labels_work():
    _, params, x, labels = _problem(dict_mlp.DIMS, 5, 3)
    cache = dict_mlp.forward(params, x)
    assert cache["A3"].shape == (5, 10)
    np.testing.assert_allclose(cache["A3"].sum(axis=1), 1.0, rtol=1e-12)
    one_hot = np.eye(10)[labels]
    assert dict_mlp.loss(cache["A3"], one_hot) == pytest.approx(dict_mlp.loss(cache["A3"], labels))
    grads_int = dict_mlp.backward(params, cache, labels)
    grads_hot = dict_mlp.backward(params, cache, one_hot)
    for key in grads_int:
        np.testing.assert_allclose(grads_int[key], grads_hot[key], rtol=1e-12, err_msg=key)


def test_update_takes_a_gradient_step_in_place_and_lowers_the_loss():
    _, params, x, labels = _problem(SMALL_DIMS, 32, 4)
    arrays = dict(params)
    before = {key: value.copy() for key, value in params.items()}
    loss_before = dict_mlp.loss(dict_mlp.forward(params, x)["A3"], labels)
    grads = dict_mlp.backward(params, dict_mlp.forward(params, x), labels)
    dict_mlp.update(params, grads, lr=0.1)
    for key, value in params.items():
        assert value is arrays[key]
        np.testing.assert_allclose(value, before[key] - 0.1 * grads[f"d{key}"], err_msg=key)
    assert dict_mlp.loss(dict_mlp.forward(params, x)["A3"], labels) < loss_before


def test_activation_selector_and_unknown_name():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(dict_mlp.activation(x, "relu"), np.maximum(x, 0))
    np.testing.assert_array_equal(dict_mlp.activation(x, "relu", grad=True), (x > 0) * 1.0)
    with pytest.raises(ValueError, match=r"unknown activation 'elu'; valid names"):
        dict_mlp.activation(x, "elu")


def test_forward_rejects_wrong_input_width():
    _, params, _, _ = _problem(SMALL_DIMS, 1, 5)
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 12\), got \(2, 3\)"):
        dict_mlp.forward(params, np.zeros((2, 3)))


def test_backward_refuses_labels_that_would_broadcast_against_the_probabilities():
    _, params, x, labels = _problem(SMALL_DIMS, 3, 6)
    cache = dict_mlp.forward(params, x)
    with pytest.raises(ValueError, match=r"dict_mlp.backward: .*\(3, 4\), got \(3, 1\)"):
        dict_mlp.backward(params, cache, labels[:, None])
