"""Flatten every axis but the batch axis, e.g. between a conv stack and a Linear head."""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer


class Flatten(Layer):
    """``x: (N, d_1, ..., d_k) -> (N, d_1 ⋯ d_k)`` in C order, like ``torch.nn.Flatten()``.

    Backward reshapes the gradient back to the input's shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim < 1:
            raise self._shape_error("(N, ...)", x)
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out.reshape(self._x_shape)
