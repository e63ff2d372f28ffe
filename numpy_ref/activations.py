"""Activation functions, in two forms.

* Functions ``relu``, ``sigmoid``, ``tanh``, ``softmax`` with ``grad=False`` return the activation
  and with ``grad=True`` its derivative with respect to the input (the form seed 002 Q1.2 asks for).
* Layers ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax`` with ``forward``/``backward``.

All of them keep the dtype of their input (float32 in, float32 out) and never overflow: sigmoid
and tanh are computed from ``exp(-|x|)``, which lies in (0, 1], and softmax is max-shifted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numpy_ref.layer import Layer


def relu(x: np.ndarray, grad: bool = False) -> np.ndarray:
    """``relu(x) = max(x, 0)``; with ``grad=True`` the derivative ``1[x > 0]``.

    The derivative at exactly 0 is taken as 0, as torch does.
    """
    if grad:
        return (x > 0).astype(x.dtype)
    return np.maximum(x, 0)


def sigmoid(x: np.ndarray, grad: bool = False) -> np.ndarray:
    """``σ(x) = 1 / (1 + exp(-x))``; with ``grad=True`` ``σ'(x) = σ(x) (1 - σ(x))``.

    Stable for any ``x``: with ``e = exp(-|x|) ∈ (0, 1]``, ``σ(x) = 1/(1+e)`` for ``x ≥ 0`` and
    ``e/(1+e)`` for ``x < 0``, so ``exp`` never overflows (``np.exp(1000)`` would).
    """
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    s = np.where(x >= 0, r, e * r)
    if grad:
        return s * (1 - s)
    return s


def tanh(x: np.ndarray, grad: bool = False) -> np.ndarray:
    """``tanh(x) = (1 - exp(-2x)) / (1 + exp(-2x))``; with ``grad=True`` ``1 - tanh(x)²``.

    Computed from ``m = expm1(-2|x|) = exp(-2|x|) - 1 ∈ (-1, 0]`` as
    ``tanh(|x|) = -m / (2 + m)`` with the sign of ``x`` restored: no overflow for large ``|x|``
    (the value saturates at ±1) and no cancellation near 0, where ``1 - exp(-2|x|)`` would lose
    digits but ``expm1`` does not.
    """
    m = np.expm1(-2 * np.abs(x))
    t = np.copysign(-m / (2 + m), x)
    if grad:
        return 1 - t * t
    return t


def softmax(x: np.ndarray, grad: bool = False) -> np.ndarray:
    """Row-wise softmax ``s_k = exp(x_k - max x) / Σ_j exp(x_j - max x)`` over the last axis.

    Parameters
    ----------
    x : (N, K) or any (..., K)
        Logits.
    grad : bool
        If ``True`` return the Jacobian of each row, shape ``(..., K, K)``:
        ``∂s_i/∂x_j = s_i (δ_ij - s_j)``, i.e. ``diag(s) - s sᵀ``. Its diagonal ``s(1-s)`` alone is
        not the derivative (softmax couples the outputs), so the full Jacobian is returned.
    """
    shifted = x - np.max(x, axis=-1, keepdims=True)  # exp(≤0) ≤ 1: no overflow
    e = np.exp(shifted)
    s = e / np.sum(e, axis=-1, keepdims=True)
    if grad:
        jacobian = -s[..., :, None] * s[..., None, :]
        diagonal = np.einsum("...ii->...i", jacobian)  # a writable view of the diagonals
        diagonal += s
        return jacobian
    return s


ACTIVATION_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
}


def activation_function(name: str) -> Callable[..., np.ndarray]:
    """The function form (``f(x, grad=False)``) of the activation called ``name``."""
    if name not in ACTIVATION_FUNCTIONS:
        raise ValueError(
            f"unknown activation {name!r}; valid names: {sorted(ACTIVATION_FUNCTIONS)}"
        )
    return ACTIVATION_FUNCTIONS[name]


class ReLU(Layer):
    """``y = max(x, 0)``; backward ``∂L/∂x = ∂L/∂y · 1[x > 0]``.

    Derivation: ``y`` is ``x`` where ``x > 0`` (slope 1) and the constant 0 elsewhere (slope 0),
    so the upstream gradient passes through where the input was positive and is zeroed elsewhere.
    The mask is recomputed from the cached output (``y > 0`` ⇔ ``x > 0``).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = np.maximum(x, 0)
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.where(self._out > 0, grad_out, 0)


class Sigmoid(Layer):
    """``y = σ(x)``; backward ``∂L/∂x = ∂L/∂y · y (1 - y)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = sigmoid(x)
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self._out * (1 - self._out)


class Tanh(Layer):
    """``y = tanh(x)``; backward ``∂L/∂x = ∂L/∂y · (1 - y²)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = tanh(x)
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (1 - self._out * self._out)


class Softmax(Layer):
    """Row-wise softmax over the last axis; ``x: (N, K) -> (N, K)``.

    Backward is the Jacobian-vector product without forming the Jacobian:
    ``∂L/∂x_j = Σ_i g_i s_i (δ_ij - s_j) = s_j (g_j - Σ_i g_i s_i)``.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim < 1:
            raise self._shape_error("(..., K)", x)
        self._out = softmax(x)
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        s = self._out
        return s * (grad_out - np.sum(grad_out * s, axis=-1, keepdims=True))


ACTIVATION_LAYERS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
}


def get_activation(name: str) -> Layer:
    """A new activation layer by name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"softmax"``).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if name not in ACTIVATION_LAYERS:
        raise ValueError(f"unknown activation {name!r}; valid names: {sorted(ACTIVATION_LAYERS)}")
    return ACTIVATION_LAYERS[name]()
