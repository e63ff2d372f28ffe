import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numpy_ref.activations import sigmoid, softmax
from numpy_ref.losses import (
    CrossEntropyLoss,
    LogisticLoss,
    MSEReconstructionLoss,
    SoftmaxCrossEntropyLoss,
    cross_entropy,
    logistic_loss,
    mse_reconstruction,
    softmax_cross_entropy,
    stable_logistic_loss,
)
from tests.numpy_ref.gradcheck import assert_close, assert_gradient_matches_fd, torch_leaf

SHAPES = [(1, 2), (6, 4), (32, 10)]  # (batch, classes or features)


def _classification(shape, seed, one_hot):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * 2
    labels = rng.integers(0, shape[1], size=shape[0])
    targets = np.eye(shape[1])[labels] if one_hot else labels
    return rng, logits, labels, targets


def _check_loss_class(loss, pred, target, torch_value, torch_pred, rng):
    """Value and gradient vs torch, and gradient vs finite differences of ``forward``."""
    value = loss.forward(pred, target)
    grad = loss.backward()
    assert_close("loss", np.float64(value), torch_value)
    torch_value.backward()
    assert_close("gradient wrt prediction", grad, torch_pred.grad)
    assert_gradient_matches_fd(
        "gradient wrt prediction", lambda: loss.forward(pred, target), pred, grad, rng
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy_matches_torch_cross_entropy(shape, one_hot):
    rng, logits, labels, targets = _classification(shape, 0, one_hot)
    logits_t = torch_leaf(logits)
    expected = F.cross_entropy(logits_t, torch.from_numpy(labels))
    _check_loss_class(SoftmaxCrossEntropyLoss(), logits, targets, expected, logits_t, rng)
    assert softmax_cross_entropy(logits, targets) == pytest.approx(expected.item(), abs=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("one_hot", [False, True])
def test_cross_entropy_from_probabilities_matches_torch_nll_of_log(shape, one_hot):
    rng, logits, labels, targets = _classification(shape, 1, one_hot)
    probs = softmax(logits)
    probs_t = torch_leaf(probs)
    expected = F.nll_loss(torch.log(probs_t), torch.from_numpy(labels))
    _check_loss_class(CrossEntropyLoss(), probs, targets, expected, probs_t, rng)


def test_cross_entropy_is_minus_mean_log_true_class_probability():
    probs = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    assert cross_entropy(probs, np.array([0, 2])) == pytest.approx(-(np.log(0.7) + np.log(0.5)) / 2)


def test_softmax_cross_entropy_is_finite_for_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e300, 1e300, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = softmax_cross_entropy(logits, np.array([1, 0]))
    # Both true classes are beaten by margins 2e4 and 2e300: the loss is their mean margin.
    assert value == pytest.approx((2e4 + 2e300) / 2)


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_reconstruction_is_mean_squared_euclidean_distance_like_torch(shape):
    rng = np.random.default_rng(2)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    pred_t = torch_leaf(pred)
    expected = F.mse_loss(pred_t, torch.from_numpy(target), reduction="sum") / shape[0]
    _check_loss_class(MSEReconstructionLoss(), pred, target, expected, pred_t, rng)
    per_sample = np.linalg.norm(pred - target, axis=1) ** 2
    assert mse_reconstruction(pred, target) == pytest.approx(per_sample.mean(), rel=1e-12)


@pytest.mark.parametrize("batch", [1, 7, 50])
def test_stable_logistic_loss_matches_torch_bce_with_logits(batch):
    rng = np.random.default_rng(batch)
    z = rng.standard_normal(batch) * 4
    y = rng.integers(0, 2, size=batch).astype(np.float64)
    z_t = torch_leaf(z)
    expected = F.binary_cross_entropy_with_logits(z_t, torch.from_numpy(y))
    _check_loss_class(LogisticLoss(), z, y, expected, z_t, rng)


@pytest.mark.parametrize("batch", [1, 7, 50])
def test_naive_logistic_loss_matches_torch_bce_and_the_stable_one(batch):
    rng = np.random.default_rng(batch + 10)
    z = rng.standard_normal(batch) * 4
    y = rng.integers(0, 2, size=batch).astype(np.float64)
    y_hat = 1 / (1 + np.exp(-z))
    expected = F.binary_cross_entropy(torch.from_numpy(y_hat), torch.from_numpy(y)).item()
    assert logistic_loss(y, y_hat) == pytest.approx(expected, rel=1e-12)
    assert stable_logistic_loss(y, z) == pytest.approx(expected, rel=1e-12)


def test_stable_logistic_loss_is_zero_at_minus_1e10_for_label_zero():
    z = -1e10 * np.ones(4)
    y = np.zeros(4)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = stable_logistic_loss(y, z)
    assert np.isfinite(value)
    assert value == 0.0  # log(1 + e^{-1e10}) is far below the smallest double
    # and for label one the loss is the margin itself, still finite: log(1 + e^{z}) - z = 1e10
    assert stable_logistic_loss(np.ones(4), z) == pytest.approx(1e10)


def test_naive_logistic_loss_is_nan_at_prediction_zero_label_zero_as_documented():
    y_hat, y = np.zeros(4), np.zeros(4)
    # 0 · log 0 = 0 · (-inf) = nan in IEEE arithmetic; numpy warns about log(0) and 0 · inf.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = logistic_loss(y, y_hat)
    assert np.isnan(value)
    messages = {str(w.message) for w in caught}
    assert {"divide by zero encountered in log", "invalid value encountered in multiply"} <= (
        messages
    ), messages
    # The exact answer is 0, which the stable form gives for the logit that produced ŷ = 0.
    assert stable_logistic_loss(y, np.full(4, -1e10)) == 0.0


def test_naive_logistic_loss_overflows_to_inf_where_the_stable_one_does_not():
    z = np.array([-800.0])
    y_hat = sigmoid(z)  # σ(-800) ≈ e^{-800} underflows to exactly 0 in float64
    assert y_hat[0] == 0.0
    with np.errstate(divide="ignore"):
        assert logistic_loss(np.ones(1), y_hat) == np.inf
    assert stable_logistic_loss(np.ones(1), z) == pytest.approx(800.0)


def test_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"expected targets of shape \(4, 3\), got \(4, 2\)"):
        softmax_cross_entropy(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"got \(4, 3\) and \(5, 3\)"):
        mse_reconstruction(np.zeros((4, 3)), np.zeros((5, 3)))
