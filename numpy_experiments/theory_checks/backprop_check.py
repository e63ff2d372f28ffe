"""Seed 004 §1.4: the backpropagation gradient of the sigmoid net against finite differences.

On random ``X: (B, D)``, ``y ∈ {0, 1}^B`` and standard-normal weights, two comparisons:

* ``numpy_ref.sigmoid_net.gradient`` (the batch, matrix form) against centred differences of
  the average stable logistic loss, over every weight;
* the single-sample formulas of ``docs/theory/004_1.4_backprop.md``, written index by index in
  the seed's layout (``W⁽¹⁾: (K, D)``) and averaged over the batch, against that same gradient.

Errors are relative and norm-wise per weight matrix, ``‖g - g'‖_F / max(‖g‖_F, ‖g'‖_F)``, so an
entry whose gradient is nearly zero does not turn rounding into a large relative error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpy_ref.activations import sigmoid
from numpy_ref.sigmoid_net import D, K, gradient, init_weights, predict, stable_logistic_loss

Gradient = Callable[[np.ndarray, np.ndarray, dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass
class BackpropResult:
    """Worst errors of one instance (over ``w_1`` and ``w_2``)."""

    fd_rel_error: float
    fd_abs_error: float
    formula_rel_error: float


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``‖a - b‖_F / max(‖a‖_F, ‖b‖_F)``; 0 when both are zero."""
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def finite_difference_gradient(
    X: np.ndarray, y: np.ndarray, W: dict[str, np.ndarray], step: float
) -> dict[str, np.ndarray]:
    """``(L̄(w + h e_k) - L̄(w - h e_k)) / 2h`` for every weight; ``L̄`` the average stable loss."""
    weights = {name: w.astype(np.float64).copy() for name, w in W.items()}
    numeric = {}
    for name, w in weights.items():
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            original = w[index]
            w[index] = original + step
            plus = stable_logistic_loss(y, predict(X, weights)[1])
            w[index] = original - step
            minus = stable_logistic_loss(y, predict(X, weights)[1])
            w[index] = original
            grad[index] = (plus - minus) / (2 * step)
        numeric[name] = grad
    return numeric


def single_sample_formula_gradient(
    X: np.ndarray, y: np.ndarray, W: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The derivation's result, one sample at a time, averaged; returned in the code's layout.

    With ``W⁽¹⁾ = W["w_1"]ᵀ: (K, D)``, ``z⁽¹⁾_i = Σ_j w⁽¹⁾_ij x_j``, ``x⁽¹⁾ = σ(z⁽¹⁾)``,
    ``z⁽²⁾ = Σ_i w⁽²⁾_i x⁽¹⁾_i``, ``δ⁽²⁾ = σ(z⁽²⁾) - y``:
    ``∂ℒ/∂w⁽²⁾_i = δ⁽²⁾ x⁽¹⁾_i`` and ``∂ℒ/∂w⁽¹⁾_ij = δ⁽²⁾ w⁽²⁾_i x⁽¹⁾_i (1 - x⁽¹⁾_i) x_j``.
    """
    w1, w2 = W["w_1"].T, W["w_2"][:, 0]  # the seed's W⁽¹⁾: (K, D) and w⁽²⁾: (K,)
    k, d = w1.shape
    grad_w1, grad_w2 = np.zeros((k, d)), np.zeros(k)
    for x, label in zip(X, y, strict=True):
        x1 = sigmoid(w1 @ x)
        delta2 = sigmoid(np.array(w2 @ x1)) - label
        for i in range(k):
            grad_w2[i] += delta2 * x1[i]
            for j in range(d):
                grad_w1[i, j] += delta2 * w2[i] * x1[i] * (1 - x1[i]) * x[j]
    return {"w_1": grad_w1.T / len(X), "w_2": grad_w2[:, None] / len(X)}


def check_backprop_instance(
    rng: np.random.Generator, batch_size: int, step: float, analytic: Gradient = gradient
) -> BackpropResult:
    """Compare ``analytic`` (numpy_ref's gradient unless a test passes another) on one instance."""
    W = init_weights(rng, D, K)
    X = rng.standard_normal((batch_size, D))
    y = rng.integers(0, 2, size=batch_size).astype(np.float64)
    grads = analytic(X, y, W)
    numeric = finite_difference_gradient(X, y, W, step)
    formula = single_sample_formula_gradient(X, y, W)
    return BackpropResult(
        fd_rel_error=max(relative_error(grads[n], numeric[n]) for n in W),
        fd_abs_error=max(float(np.max(np.abs(grads[n] - numeric[n]))) for n in W),
        formula_rel_error=max(relative_error(grads[n], formula[n]) for n in W),
    )


def check_backprop(
    instances: int,
    batch_size: int,
    step: float,
    rng: np.random.Generator,
    analytic: Gradient = gradient,
) -> list[BackpropResult]:
    if instances < 1:
        raise ValueError(f"backprop: need instances >= 1, got {instances}")
    return [check_backprop_instance(rng, batch_size, step, analytic) for _ in range(instances)]


def backprop_figures(results: list[BackpropResult]) -> dict[str, float]:
    """The ``backprop/...`` figures of summary.json."""
    return {
        "backprop/instances": len(results),
        "backprop/max_rel_error": max(r.fd_rel_error for r in results),
        "backprop/max_abs_error": max(r.fd_abs_error for r in results),
        "backprop/formula_vs_numpy_ref_max_rel_error": max(r.formula_rel_error for r in results),
    }
