"""Losses as functions (value and gradient) and as classes with ``forward``/``backward``.

Every loss is averaged over the batch (first axis), so gradients carry a ``1/N`` factor.
Targets for the classification losses are either integer labels ``(N,)`` or one-hot / soft
label rows ``(N, K)``. Shapes are checked, never broadcast: a prediction and a target that do
not match raise a ValueError naming both shapes (NumPy would silently pair every target with
every prediction, as ``(B,)`` against ``(B, 1)`` gives ``(B, B)``).
"""

from __future__ import annotations

import numpy as np

from numpy_ref.activations import sigmoid, softmax


def one_hot(targets: np.ndarray, num_classes: int, dtype: np.dtype) -> np.ndarray:
    """``(N,)`` integer labels -> ``(N, K)`` one-hot rows; ``(N, K)`` rows are returned as is."""
    targets = np.asarray(targets)
    if targets.ndim == 2:
        return targets
    one_hot = np.zeros((targets.shape[0], num_classes), dtype=dtype)
    one_hot[np.arange(targets.shape[0]), targets] = 1
    return one_hot


def _check_same_shape(name: str, pred: np.ndarray, target: np.ndarray) -> None:
    """Refuse ``pred`` and ``target`` of different shapes, as torch's elementwise losses do.

    Without it NumPy broadcasts: labels ``(B,)`` against logits ``(B, 1)`` make a ``(B, B)``
    matrix of every label against every logit, whose mean is a plausible-looking wrong loss.
    The message follows torch's ``BCEWithLogitsLoss`` ("Target size (torch.Size([6])) must be
    the same as input size (torch.Size([6, 1]))").
    """
    if np.shape(pred) != np.shape(target):
        raise ValueError(
            f"{name}: target size {tuple(np.shape(target))} must be the same as input size "
            f"{tuple(np.shape(pred))} (NumPy would broadcast them into a wrong loss)"
        )


def check_classification_batch(name: str, pred: np.ndarray, target: np.ndarray) -> None:
    """Predictions ``(N, K)`` with labels ``(N,)`` or rows ``(N, K)``; else a ValueError naming both."""
    if pred.ndim != 2 or target.shape[0] != pred.shape[0] or target.ndim not in (1, 2):
        raise ValueError(
            f"{name}: expected predictions (N, K) with targets (N,) or (N, K), "
            f"got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    if target.ndim == 2 and target.shape != pred.shape:
        raise ValueError(
            f"{name}: expected targets of shape {tuple(pred.shape)}, got {tuple(target.shape)}"
        )


# -- cross-entropy
def cross_entropy(probs: np.ndarray, targets: np.ndarray) -> float:
    """Cross-entropy from probabilities, ``L = -1/N Σ_n Σ_k y_nk log p_nk``.

    Parameters
    ----------
    probs : (N, K)
        Predicted class probabilities (rows sum to 1, e.g. a softmax output).
    targets : (N,) int or (N, K)
        Labels or one-hot rows.

    A probability of exactly 0 for a true class gives ``inf`` (the true value); use
    ``softmax_cross_entropy`` on logits to avoid ever forming ``log 0``.
    """
    check_classification_batch("cross_entropy", probs, np.asarray(targets))
    y = one_hot(targets, probs.shape[1], probs.dtype)
    # Only the true-class terms contribute; skipping y = 0 entries avoids 0 * log 0 = nan.
    log_p = np.log(probs, where=y != 0, out=np.zeros_like(probs))
    return float(-np.sum(y * log_p) / probs.shape[0])


def cross_entropy_grad(probs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``∂L/∂p = -y / (N p)`` for ``L = cross_entropy(p, y)``; ``(N, K)``."""
    check_classification_batch("cross_entropy_grad", probs, np.asarray(targets))
    y = one_hot(targets, probs.shape[1], probs.dtype)
    grad = np.zeros_like(probs)
    np.divide(-y, probs * probs.shape[0], out=grad, where=y != 0)
    return grad


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax(z)_k = z_k - max z - log Σ_j exp(z_j - max z)`` over the last axis."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Fused, stable ``cross_entropy(softmax(z), y) = -1/N Σ_n Σ_k y_nk log_softmax(z_n)_k``.

    Working with ``log_softmax`` (max-shifted log-sum-exp) never takes ``log 0`` nor overflows
    ``exp``, so the loss is finite for any finite logits. Equals ``torch.nn.CrossEntropyLoss()``.

    Parameters
    ----------
    logits : (N, K)
    targets : (N,) int or (N, K)
    """
    targets = np.asarray(targets)
    check_classification_batch("softmax_cross_entropy", logits, targets)
    log_p = log_softmax(logits)
    n = logits.shape[0]
    if targets.ndim == 1:
        return float(-np.sum(log_p[np.arange(n), targets]) / n)
    return float(-np.sum(targets * log_p) / n)


def softmax_cross_entropy_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``∂L/∂z = (softmax(z) - y) / N`` for ``L = softmax_cross_entropy(z, y)``; ``(N, K)``."""
    targets = np.asarray(targets)
    check_classification_batch("softmax_cross_entropy_grad", logits, targets)
    grad = softmax(logits)
    n = logits.shape[0]
    if targets.ndim == 1:
        grad[np.arange(n), targets] -= 1
    else:
        grad -= targets
    grad /= n
    return grad


# -- reconstruction
def _check_reconstruction(name: str, pred: np.ndarray, target: np.ndarray) -> None:
    if np.shape(pred) != np.shape(target) or np.ndim(pred) != 2:
        raise ValueError(
            f"{name}: expected pred and target of one shape (N, D), "
            f"got {tuple(np.shape(pred))} and {tuple(np.shape(target))}"
        )


def mse_reconstruction(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean over samples of the squared Euclidean distance, ``L = 1/N Σ_n ||ŷ_n - x_n||²``.

    This is seed 000 Part 2's reconstruction loss; it equals ``D ×`` torch's ``MSELoss()`` (which
    also averages over the ``D`` features).

    Parameters
    ----------
    pred, target : (N, D)
    """
    _check_reconstruction("mse_reconstruction", pred, target)
    diff = pred - target
    return float(np.sum(diff * diff) / pred.shape[0])


def mse_reconstruction_grad(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``∂L/∂ŷ = 2 (ŷ - x) / N``; ``(N, D)``."""
    _check_reconstruction("mse_reconstruction_grad", pred, target)
    return (pred - target) * (2 / pred.shape[0])


# -- binary logistic loss
def logistic_loss(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Naive average logistic loss ``1/B Σ_i [-y_i log ŷ_i - (1 - y_i) log(1 - ŷ_i)]``.

    Parameters
    ----------
    y : (B,)
        Labels in {0, 1}.
    y_hat : (B,)
        Predicted probabilities in [0, 1].

    Notes
    -----
    At ``ŷ = 0, y = 0`` (seed 004 §1.2) the prediction is exactly right and the true loss is 0,
    but this formula evaluates the term ``y log ŷ = 0 · log 0 = 0 · (-inf)``, which IEEE
    arithmetic defines as ``nan``; numpy warns ("divide by zero in log", "invalid value in
    multiply") and the nan propagates through the mean, so the function returns ``nan``.
    (``(1 - y) log(1 - ŷ) = 1 · log 1 = 0`` is fine.) The same happens at ``ŷ = 1, y = 1``, and
    ``ŷ = 0, y = 1`` gives ``+inf``. In practice ``ŷ = σ(z)`` rounds to exactly 0 once
    ``z < -746`` in float64 (``-104`` in float32), so this is reachable; ``stable_logistic_loss``
    on the logit avoids it.

    ``y`` and ``y_hat`` must have the same shape (a ValueError names both otherwise), as in
    torch's ``BCELoss``: NumPy would broadcast ``(B,)`` against ``(B, 1)`` into ``(B, B)``.
    """
    _check_same_shape("logistic_loss", y_hat, y)
    return float(np.mean(-y * np.log(y_hat) - (1 - y) * np.log(1 - y_hat)))


def stable_logistic_loss(y: np.ndarray, z: np.ndarray) -> float:
    """Average logistic loss from logits, ``1/B Σ_i [log(1 + exp(z_i)) - y_i z_i]``.

    Derivation: with ``ŷ = σ(z)``, ``-log σ(z) = log(1 + e^{-z}) = log(1 + e^{z}) - z`` and
    ``-log(1 - σ(z)) = log(1 + e^{z})``, so the loss is ``log(1 + e^{z}) - y z``.
    ``log(1 + e^{z}) = np.logaddexp(0, z)`` is evaluated as ``max(0, z) + log1p(exp(-|z|))``,
    which never overflows and never takes ``log 0``. At ``z = -1e10, y = 0`` it gives
    ``0 + log1p(exp(-1e10)) = log1p(0) = 0`` exactly: finite, and correct to the last bit (the
    true loss is ``log(1 + e^{-1e10}) ≈ e^{-1e10}``, far below the smallest double).

    Parameters
    ----------
    y : (B,)
        Labels in {0, 1}.
    z : (B,)
        Logits ``z⁽²⁾``.

    ``y`` and ``z`` must have the same shape (a ValueError names both otherwise), as in torch's
    ``BCEWithLogitsLoss``: NumPy would broadcast ``(B,)`` against ``(B, 1)`` into ``(B, B)``.
    Any common shape is accepted and averaged over all its elements, as torch does.
    """
    _check_same_shape("stable_logistic_loss", z, y)
    return float(np.mean(np.logaddexp(0, z) - y * z))


def stable_logistic_loss_grad(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``∂L/∂z_i = (σ(z_i) - y_i) / B`` for ``L = stable_logistic_loss(y, z)``; ``(B,)``.

    ``B`` is the number of elements of ``z``, the count the loss averages over.
    """
    _check_same_shape("stable_logistic_loss_grad", z, y)
    return (sigmoid(z) - y) / np.size(z)


# -- classes
class Loss:
    """``forward(pred, target) -> float`` caches its inputs; ``backward() -> ∂L/∂pred``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self._pred, self._target = pred, target
        return self._value(pred, target)

    def backward(self) -> np.ndarray:
        return self._grad(self._pred, self._target)

    def _value(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def _grad(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class CrossEntropyLoss(Loss):
    """``cross_entropy`` on probabilities ``(N, K)``; targets ``(N,)`` labels or ``(N, K)``."""

    def _value(self, pred, target):
        return cross_entropy(pred, target)

    def _grad(self, pred, target):
        return cross_entropy_grad(pred, target)


class SoftmaxCrossEntropyLoss(Loss):
    """``softmax_cross_entropy`` on logits ``(N, K)``; equals ``torch.nn.CrossEntropyLoss()``."""

    def _value(self, pred, target):
        return softmax_cross_entropy(pred, target)

    def _grad(self, pred, target):
        return softmax_cross_entropy_grad(pred, target)


class MSEReconstructionLoss(Loss):
    """``mse_reconstruction``: mean over samples of ``||ŷ_n - x_n||²``; ``pred, target: (N, D)``."""

    def _value(self, pred, target):
        return mse_reconstruction(pred, target)

    def _grad(self, pred, target):
        return mse_reconstruction_grad(pred, target)


class LogisticLoss(Loss):
    """Stable binary logistic loss on logits: ``forward(z: (B,), y: (B,))``; grad wrt ``z``."""

    def _value(self, pred, target):
        return stable_logistic_loss(target, pred)

    def _grad(self, pred, target):
        return stable_logistic_loss_grad(target, pred)
