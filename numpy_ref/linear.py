"""Fully connected layer ``y = x Wᵀ + b`` with torch's layout (``W: (out, in)``, ``b: (out,)``)."""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer

LINEAR_INITS = ("xavier_uniform", "uniform_fan_in")


class Linear(Layer):
    """Affine map ``y = x Wᵀ + b``.

    Parameters
    ----------
    in_features, out_features : int
    init : {"xavier_uniform", "uniform_fan_in"}
        ``"xavier_uniform"`` (Glorot): ``W ~ U(±sqrt(6 / (in + out)))``, ``b = 0``.
        ``"uniform_fan_in"``: ``W ~ U(±1/sqrt(in))``, ``b = 0``.
    bias : bool
        Whether to add ``b``.
    dtype : numpy dtype
        Dtype of the parameters (float32 for fast training, float64 for gradient checks).
    rng : np.random.Generator, optional
        Source of the initial weights (a fresh ``default_rng()`` if not given).

    Shapes
    ------
    ``x: (N, in_features) -> y: (N, out_features)``.

    Backward, for ``g = ∂L/∂y: (N, out)``: ``∂L/∂W = gᵀ x``, ``∂L/∂b = Σ_n g_n``, ``∂L/∂x = g W``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str = "xavier_uniform",
        bias: bool = True,
        dtype: np.dtype | type = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if init not in LINEAR_INITS:
            raise ValueError(f"unknown init {init!r} for Linear; valid: {list(LINEAR_INITS)}")
        self.in_features = in_features
        self.out_features = out_features
        self.init = init
        self._add_param("weight", (out_features, in_features), np.dtype(dtype))
        if bias:
            self._add_param("bias", (out_features,), np.dtype(dtype))
        self.init_weights(rng if rng is not None else np.random.default_rng())

    def init_weights(self, rng: np.random.Generator) -> None:
        if self.init == "xavier_uniform":
            limit = np.sqrt(6.0 / (self.in_features + self.out_features))
        else:
            limit = 1.0 / np.sqrt(self.in_features)
        weight = self.params["weight"]
        weight[...] = rng.uniform(-limit, limit, size=weight.shape)
        if "bias" in self.params:
            self.params["bias"].fill(0)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise self._shape_error(f"(N, {self.in_features})", x)
        self._x = x
        y = x @ self.params["weight"].T
        if "bias" in self.params:
            y += self.params["bias"]  # in place: no second (N, out) array
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        # out= writes straight into the preallocated gradient buffers (no temporaries).
        np.matmul(grad_out.T, self._x, out=self.grads["weight"])
        if "bias" in self.params:
            np.sum(grad_out, axis=0, out=self.grads["bias"])
        if not self.input_grad:
            return None
        return grad_out @ self.params["weight"]

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={'bias' in self.params})"
        )


Dense = Linear
