"""One-hidden-layer sigmoid network without biases, with the logistic loss (seed 004 §1).

``z⁽¹⁾ = x W⁽¹⁾``, ``x⁽¹⁾ = σ(z⁽¹⁾)``, ``z⁽²⁾ = x⁽¹⁾ w⁽²⁾``, ``ŷ = σ(z⁽²⁾)``, for a batch
``X: (B, D)`` with ``W = {"w_1": (D, K), "w_2": (K, 1)}`` (the seed uses ``D = 5, K = 6``). Rows
of ``X`` are samples, so ``x W⁽¹⁾`` is the seed's ``W⁽¹⁾ x⁽⁰⁾`` written for a batch.
Everything is vectorised over the batch; there are no Python loops.

``logistic_loss`` (naive, from ``ŷ``) and ``stable_logistic_loss`` (from ``z⁽²⁾``) are the ones in
``numpy_ref.losses``; see their docstrings for why the naive loss at ``ŷ = 0, y = 0`` is ``nan``
(``0 · log 0``) and why the stable one at ``z⁽²⁾ = -1e10, y = 0`` is exactly 0.
"""

from __future__ import annotations

import numpy as np

from numpy_ref.activations import sigmoid
from numpy_ref.losses import logistic_loss, stable_logistic_loss

D, K = 5, 6

__all__ = ["D", "K", "gradient", "init_weights", "logistic_loss", "predict", "stable_logistic_loss"]


def init_weights(
    rng: np.random.Generator, d: int = D, k: int = K, dtype: np.dtype | type = np.float64
) -> dict[str, np.ndarray]:
    """Standard-normal weights ``{"w_1": (d, k), "w_2": (k, 1)}`` (for examples and tests)."""
    return {
        "w_1": rng.standard_normal((d, k)).astype(dtype),
        "w_2": rng.standard_normal((k, 1)).astype(dtype),
    }


def predict(X: np.ndarray, W: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward pass for a batch.

    Parameters
    ----------
    X : (B, D)
    W : {"w_1": (D, K), "w_2": (K, 1)}

    Returns
    -------
    z1 : (B, K)
        Hidden pre-activations ``X W⁽¹⁾``.
    z2 : (B,)
        Output logits ``σ(z1) w⁽²⁾``.
    y_hat : (B,)
        ``σ(z2)``.
    """
    if X.ndim != 2 or X.shape[1] != W["w_1"].shape[0]:
        raise ValueError(
            f"sigmoid_net.predict: expected X of shape (B, {W['w_1'].shape[0]}), "
            f"got {tuple(X.shape)}"
        )
    z1 = X @ W["w_1"]
    z2 = (sigmoid(z1) @ W["w_2"])[:, 0]
    return z1, z2, sigmoid(z2)


def gradient(X: np.ndarray, y: np.ndarray, W: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gradient of the average (stable) logistic loss with respect to both weight matrices.

    Backpropagation for one sample ``(x, y)`` with ``L = log(1 + e^{z⁽²⁾}) - y z⁽²⁾``:

    * ``∂L/∂z⁽²⁾ = σ(z⁽²⁾) - y = ŷ - y`` (no division by ``ŷ(1-ŷ)``, hence stable);
    * ``∂L/∂w⁽²⁾_i = (ŷ - y) x⁽¹⁾_i``;
    * ``∂L/∂z⁽¹⁾_j = (ŷ - y) w⁽²⁾_j σ'(z⁽¹⁾_j) = (ŷ - y) w⁽²⁾_j x⁽¹⁾_j (1 - x⁽¹⁾_j)``;
    * ``∂L/∂W⁽¹⁾_ij = x_i (ŷ - y) w⁽²⁾_j x⁽¹⁾_j (1 - x⁽¹⁾_j)`` (``W⁽¹⁾: (D, K)``, input ``i``,
      hidden unit ``j``).

    For the batch average each sample's term gets a factor ``1/B`` and the sums over samples
    become matrix products.

    Parameters
    ----------
    X : (B, D)
    y : (B,) in {0, 1}
        Any other shape (``(B, 1)`` included) raises a ValueError naming both shapes.
    W : {"w_1": (D, K), "w_2": (K, 1)}

    Returns
    -------
    dict
        ``{"w_1": (D, K), "w_2": (K, 1)}``, the same shapes as ``W``.
    """
    z1, z2, y_hat = predict(X, W)
    if np.shape(y) != z2.shape:  # (B, 1) labels would broadcast into (B, B) deltas
        raise ValueError(
            f"sigmoid_net.gradient: target size {tuple(np.shape(y))} must be the same as the "
            f"logits' size {tuple(z2.shape)} (labels y: (B,) for X: (B, D))"
        )
    x1 = sigmoid(z1)
    delta2 = (y_hat - y) / X.shape[0]  # (B,)  ∂L̄/∂z⁽²⁾
    grad_w2 = x1.T @ delta2  # (K,)
    delta1 = delta2[:, None] * W["w_2"][:, 0] * x1 * (1 - x1)  # (B, K)  ∂L̄/∂z⁽¹⁾
    grad_w1 = X.T @ delta1  # (D, K)
    return {"w_1": grad_w1, "w_2": grad_w2[:, None]}
