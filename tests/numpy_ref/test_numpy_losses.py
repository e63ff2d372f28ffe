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
    cross_entropy_grad,
    logistic_loss,
    mse_reconstruction,
    mse_reconstruction_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    stable_logistic_loss,
    stable_logistic_loss_grad,
)
from tests.helpers.gradcheck import assert_close, assert_gradient_matches_fd, torch_leaf

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


def _labels_and_logits(batch=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=batch).astype(np.float64), rng.standard_normal(batch) * 2


def test_logistic_losses_refuse_labels_and_logits_of_different_shapes_naming_both():
    y, z = _labels_and_logits()
    column = z[:, None]  # (6, 1): NumPy would broadcast it with y (6,) into a 6x6 matrix
    calls = {
        "stable_logistic_loss": lambda: stable_logistic_loss(y, column),
        "stable_logistic_loss_grad": lambda: stable_logistic_loss_grad(y, column),
        "logistic_loss": lambda: logistic_loss(y, sigmoid(column)),
        "LogisticLoss": lambda: LogisticLoss().forward(column, y),
    }
    for call in calls.values():
        with pytest.raises(ValueError, match=r"target size \(6,\) must be the same as input size "):
            call()
        with pytest.raises(ValueError, match=r"\(6, 1\)"):
            call()
    # torch refuses the same call, naming both sizes
    with pytest.raises(ValueError, match=r"Target size .*\[6\].* must be the same as input size"):
        F.binary_cross_entropy_with_logits(torch.from_numpy(column), torch.from_numpy(y))


def test_logistic_losses_on_matching_shapes_still_equal_torch_bce_with_logits():
    y, z = _labels_and_logits()
    expected = F.binary_cross_entropy_with_logits(torch.from_numpy(z), torch.from_numpy(y))
    assert expected.dtype == torch.float64
    assert stable_logistic_loss(y, z) == pytest.approx(expected.item(), rel=1e-12)
    assert logistic_loss(y, sigmoid(z)) == pytest.approx(expected.item(), rel=1e-12)
    # the broadcast value the old code returned for z (6, 1) differs from the true loss
    broadcast = np.mean(np.logaddexp(0, z[:, None]) - y * z[:, None])
    assert abs(broadcast - expected.item()) > 0.05
    # (B, 1) labels with (B, 1) logits are one shape: averaged over all elements, as torch does
    z_t = torch_leaf(z[:, None])
    expected_column = F.binary_cross_entropy_with_logits(z_t, torch.from_numpy(y[:, None]))
    assert stable_logistic_loss(y[:, None], z[:, None]) == pytest.approx(expected_column.item())
    expected_column.backward()
    assert_close("gradient", stable_logistic_loss_grad(y[:, None], z[:, None]), z_t.grad)


@pytest.mark.parametrize(
    ("call", "shapes"),
    [
        (
            lambda: mse_reconstruction_grad(np.zeros((4, 3)), np.zeros((4, 1))),
            r"\(4, 3\) and \(4, 1\)",
        ),
        (lambda: mse_reconstruction(np.zeros((4, 1)), np.zeros((1, 4))), r"\(4, 1\) and \(1, 4\)"),
        (lambda: cross_entropy(np.full((4, 3), 1 / 3), np.eye(3)[:1]), r"\(4, 3\) and \(1, 3\)"),
        (lambda: cross_entropy_grad(np.full((4, 3), 1 / 3), np.eye(4)), r"\(4, 3\), got \(4, 4\)"),
        (
            lambda: softmax_cross_entropy(np.zeros((4, 3)), np.zeros((4, 1))),
            r"\(4, 3\), got \(4, 1\)",
        ),
        (lambda: softmax_cross_entropy_grad(np.zeros((4, 3)), np.zeros((4, 1))), r"got \(4, 1\)"),
        (lambda: softmax_cross_entropy_grad(np.zeros((4, 3)), np.zeros(1, int)), r"and \(1,\)"),
    ],
    ids=[
        "mse-grad",
        "mse-transposed",
        "cross-entropy-one-row",
        "cross-entropy-grad",
        "softmax-ce-column",
        "softmax-ce-grad-column",
        "softmax-ce-grad-one-label",
    ],
)
def test_every_loss_and_gradient_refuses_targets_that_would_broadcast(call, shapes):
    with pytest.raises(ValueError, match=shapes):
        call()
