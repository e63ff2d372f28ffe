"""2-D max pooling whose backward routes each window's gradient to its arg-max."""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer


class MaxPool2d(Layer):
    """``y[n, c, r, q] = max_{i, j < k} x[n, c, s r + i, s q + j]``.

    Parameters
    ----------
    kernel_size : int
        Square window size ``k`` (default 2).
    stride : int, optional
        Step ``s`` between windows; defaults to ``kernel_size`` (as torch). No padding; trailing
        rows/columns that do not fill a window are dropped (torch's ``ceil_mode=False``).

    Shapes
    ------
    ``x: (N, C, H, W) -> y: (N, C, (H - k) // s + 1, (W - k) // s + 1)``.

    Notes
    -----
    Backward sends ``∂L/∂y[n, c, r, q]`` to exactly one input, the window's arg-max, and 0 to the
    others (the max is locally the identity of that input). Where several entries of a window
    tie for the max, the first in row-major window order wins: windows are scanned offset by
    offset and an entry replaces the running max only if strictly greater, the same rule as
    torch's CPU kernel. With overlapping windows (``s < k``) an input that is the arg-max of several
    windows receives the sum of their gradients.

    The scan runs over the ``k²`` kernel offsets, each a strided slice of the whole batch: no loop
    over samples or pixels.
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = int(kernel_size)
        self.stride = int(stride) if stride is not None else self.kernel_size
        if self.kernel_size < 1 or self.stride < 1:
            raise ValueError(
                f"MaxPool2d: kernel_size and stride must be ≥ 1, "
                f"got kernel_size={self.kernel_size}, stride={self.stride}"
            )

    def _window_slice(self, i: int, j: int, h_out: int, w_out: int) -> tuple[slice, ...]:
        """Index of offset ``(i, j)`` of every window: ``[..., s r + i, s q + j]``."""
        s = self.stride
        return (
            slice(None),
            slice(None),
            slice(i, i + s * (h_out - 1) + 1, s),
            slice(j, j + s * (w_out - 1) + 1, s),
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        k = self.kernel_size
        if x.ndim != 4 or x.shape[2] < k or x.shape[3] < k:
            raise self._shape_error(f"(N, C, H, W) with H ≥ {k} and W ≥ {k}", x)
        h_out = (x.shape[2] - k) // self.stride + 1
        w_out = (x.shape[3] - k) // self.stride + 1
        out = x[self._window_slice(0, 0, h_out, w_out)].copy()
        argmax = np.zeros(out.shape, dtype=np.min_scalar_type(k * k - 1))
        for offset in range(1, k * k):
            candidate = x[self._window_slice(offset // k, offset % k, h_out, w_out)]
            better = candidate > out  # strict: ties keep the earlier offset
            np.copyto(out, candidate, where=better)
            np.copyto(argmax, argmax.dtype.type(offset), where=better)
        self._argmax = argmax
        self._x_shape = x.shape
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        k = self.kernel_size
        h_out, w_out = grad_out.shape[2:]
        grad_in = np.zeros(self._x_shape, dtype=grad_out.dtype)
        for offset in range(k * k):
            index = self._window_slice(offset // k, offset % k, h_out, w_out)
            grad_in[index] += np.where(self._argmax == offset, grad_out, 0)
        return grad_in

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"
