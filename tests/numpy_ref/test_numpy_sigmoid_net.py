import numpy as np
import pytest
import torch

from numpy_ref import sigmoid_net
from numpy_ref.sigmoid_net import gradient, logistic_loss, predict, stable_logistic_loss
from tests.helpers.gradcheck import assert_close, assert_gradient_matches_fd, torch_leaf


def _problem(batch, seed):
    rng = np.random.default_rng(seed)
    W = sigmoid_net.init_weights(rng)
    X = rng.standard_normal((batch, sigmoid_net.D))
    y = rng.integers(0, 2, size=batch).astype(np.float64)
    return rng, W, X, y


def _torch_forward(X, W):
    w1, w2 = torch_leaf(W["w_1"]), torch_leaf(W["w_2"])
    z1 = torch.from_numpy(X) @ w1
    z2 = (torch.sigmoid(z1) @ w2)[:, 0]
    return w1, w2, z1, z2


@pytest.mark.parametrize("batch", [1, 4, 64])
def test_predict_matches_torch_and_has_the_documented_shapes(batch):
    _, W, X, _ = _problem(batch, 0)
    assert W["w_1"].shape == (5, 6) and W["w_2"].shape == (6, 1)
    z1, z2, y_hat = predict(X, W)
    assert z1.shape == (batch, 6) and z2.shape == (batch,) and y_hat.shape == (batch,)
    _, _, z1_t, z2_t = _torch_forward(X, W)
    assert_close("z1", z1, z1_t)
    assert_close("z2", z2, z2_t)
    assert_close("y_hat", y_hat, torch.sigmoid(z2_t))


@pytest.mark.parametrize("batch", [1, 4, 64])
def test_gradient_matches_torch_autograd_of_average_logistic_loss(batch):
    _, W, X, y = _problem(batch, 1)
    w1, w2, _, z2_t = _torch_forward(X, W)
    torch.nn.functional.binary_cross_entropy_with_logits(z2_t, torch.from_numpy(y)).backward()
    grads = gradient(X, y, W)
    assert_close("gradient of w_1", grads["w_1"], w1.grad)
    assert_close("gradient of w_2", grads["w_2"], w2.grad)


def test_gradient_matches_finite_differences_of_stable_loss():
    rng, W, X, y = _problem(16, 2)
    grads = gradient(X, y, W)
    objective = lambda: stable_logistic_loss(y, predict(X, W)[1])
    for name in ("w_1", "w_2"):
        assert_gradient_matches_fd(name, objective, W[name], grads[name], rng, count=12)


def test_losses_agree_on_moderate_logits():
    _, W, X, y = _problem(32, 3)
    _, z2, y_hat = predict(X, W)
    assert logistic_loss(y, y_hat) == pytest.approx(stable_logistic_loss(y, z2), rel=1e-12)


def test_stable_loss_and_gradient_are_finite_for_saturated_logits():
    _, W, X, y = _problem(8, 4)
    W["w_2"] *= 1e12  # pushes |z2| to ~1e12: σ saturates to exactly 0 or 1
    _, z2, y_hat = predict(X, W)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = stable_logistic_loss(y, z2)
        grads = gradient(X, y, W)
    assert np.isfinite(value) and value > 1e9  # the wrong-side samples cost |z2| each
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_stable_logistic_loss_at_minus_1e10_is_zero_and_naive_at_zero_is_nan():
    y = np.zeros(3)
    assert stable_logistic_loss(y, -1e10 * np.ones(3)) == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(logistic_loss(y, np.zeros(3)))


def test_predict_rejects_wrong_feature_count():
    _, W, _, _ = _problem(1, 5)
    with pytest.raises(ValueError, match=r"expected X of shape \(B, 5\), got \(3, 4\)"):
        predict(np.zeros((3, 4)), W)


def test_gradient_refuses_column_labels_that_would_broadcast_to_b_by_b():
    _, W, X, y = _problem(6, 6)
    # B = K = 6: with y (6, 1) the deltas broadcast to (6, 6) and w_1's gradient to (6, 5, 6)
    with pytest.raises(ValueError, match=r"target size \(6, 1\) must be the same as .*\(6,\)"):
        gradient(X, y[:, None], W)
    with pytest.raises(
        ValueError, match=r"target size \(6,\) must be the same as input size \(6, 1\)"
    ):
        stable_logistic_loss(y, predict(X, W)[1][:, None])
    grads = gradient(X, y, W)
    assert grads["w_1"].shape == (5, 6) and grads["w_2"].shape == (6, 1)
