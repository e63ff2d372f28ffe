"""The deep linear net ``f(x) = W_L ⋯ W_0 x`` and its square loss on a data set (seed 001, 4.1).

``weights = [W_0, ..., W_L]`` with ``W_l: (n_{l+1}, n_l)``; the data set is ``X: (n_0, m)``,
``Y: (n_{L+1}, m)`` (one sample per column, as in the seed), and
``ℒ = ½ ‖Y - W_L ⋯ W_0 X‖_F²``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def end_to_end(weights: Sequence[np.ndarray]) -> np.ndarray:
    """``P = W_L ⋯ W_0``: ``(n_{L+1}, n_0)``."""
    product = weights[0]
    for w in weights[1:]:
        product = w @ product
    return product


def square_loss(weights: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
    """``ℒ = ½ ‖Y - W_L ⋯ W_0 X‖_F²``."""
    residual = Y - end_to_end(weights) @ X
    return float(0.5 * np.sum(residual * residual))


def square_loss_gradient(
    weights: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray
) -> list[np.ndarray]:
    """``∇_{W_l} ℒ = -(W_L ⋯ W_{l+1})ᵀ R Xᵀ (W_{l-1} ⋯ W_0)ᵀ`` with ``R = Y - W_L ⋯ W_0 X``.

    Returns one array per layer, ``(n_{l+1}, n_l)`` like ``W_l``. An empty product is the
    identity, so for ``L = 0`` the gradient is ``-R Xᵀ``, which at ``W_0 = 0`` is ``-Y Xᵀ``.
    """
    below = [np.eye(X.shape[0])]  # below[l] = W_{l-1} ⋯ W_0: (n_l, n_0)
    for w in weights[:-1]:
        below.append(w @ below[-1])
    above = [np.eye(Y.shape[0])]  # built from the top: above[l] = W_L ⋯ W_{l+1}
    for w in reversed(weights[1:]):
        above.append(above[-1] @ w)
    above.reverse()
    residual_x = (Y - (weights[-1] @ below[-1]) @ X) @ X.T  # R Xᵀ: (n_{L+1}, n_0)
    return [-a.T @ residual_x @ b.T for a, b in zip(above, below, strict=True)]
