"""2-D convolution (cross-correlation, as in torch) by im2col and one matrix product."""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer
from numpy_ref.linear import LINEAR_INITS


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class Conv2d(Layer):
    """``y[n, o, r, c] = b[o] + Σ_{ch, i, j} W[o, ch, i, j] · x_pad[n, ch, s_h r + i, s_w c + j]``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
        Zero padding on both sides; no dilation, no groups.
    bias : bool
    init : {"xavier_uniform", "uniform_fan_in"}
        ``U(±sqrt(6 / (fan_in + fan_out)))`` or ``U(±1/sqrt(fan_in))`` with
        ``fan_in = C_in k_h k_w``, ``fan_out = C_out k_h k_w`` (torch's convention); bias 0.
    dtype, rng
        Parameter dtype and the generator for the initial weights.

    Shapes
    ------
    ``x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 p_h - k_h) // s_h + 1`` (likewise ``W_out``); ``W: (C_out, C_in, k_h, k_w)``,
    ``b: (C_out,)`` as in ``torch.nn.Conv2d``.

    Notes
    -----
    Forward builds the column matrix ``X_col: (C_in k_h k_w, N H_out W_out)`` with ``k_h k_w``
    strided slice copies (a loop over kernel offsets, never over samples or pixels), then
    ``Y = W_mat X_col + b`` with ``W_mat: (C_out, C_in k_h k_w)`` is one large BLAS product.
    Backward, with ``G: (C_out, N H_out W_out)`` the upstream gradient:
    ``∂L/∂W_mat = G X_colᵀ``, ``∂L/∂b = Σ G`` over samples and pixels, and
    ``∂L/∂X_col = W_matᵀ G``, which col2im scatters back by adding each kernel offset's slice into
    the padded input gradient.

    Arrays are kept channel-major, ``(C, N, H, W)`` in memory, because that is the layout in which
    the products above need no transposition. The returned ``y`` and ``∂L/∂x`` are the transposed
    *views* ``(N, C, H, W)`` of such arrays (no copy); numpy treats them like any other array, and
    elementwise layers preserve that layout, so a following ``Conv2d`` receives its input in the
    layout it wants without a copy.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        init: str = "xavier_uniform",
        dtype: np.dtype | type = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if init not in LINEAR_INITS:
            raise ValueError(f"unknown init {init!r} for Conv2d; valid: {list(LINEAR_INITS)}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(
                f"Conv2d: kernel_size and stride must be ≥ 1 and padding ≥ 0, got "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
            )
        self.init = init
        kh, kw = self.kernel_size
        self._add_param("weight", (out_channels, in_channels, kh, kw), np.dtype(dtype))
        if bias:
            self._add_param("bias", (out_channels,), np.dtype(dtype))
        self.init_weights(rng if rng is not None else np.random.default_rng())

    def init_weights(self, rng: np.random.Generator) -> None:
        kh, kw = self.kernel_size
        fan_in = self.in_channels * kh * kw
        fan_out = self.out_channels * kh * kw
        if self.init == "xavier_uniform":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
        else:
            limit = 1.0 / np.sqrt(fan_in)
        weight = self.params["weight"]
        weight[...] = rng.uniform(-limit, limit, size=weight.shape)
        if "bias" in self.params:
            self.params["bias"].fill(0)

    def output_shape(self, height: int, width: int) -> tuple[int, int]:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1

    def forward(self, x: np.ndarray) -> np.ndarray:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        if (
            x.ndim != 4
            or x.shape[1] != self.in_channels
            or x.shape[2] + 2 * ph < kh
            or x.shape[3] + 2 * pw < kw
        ):
            raise self._shape_error(
                f"(N, {self.in_channels}, H, W) with H + 2·{ph} ≥ {kh} and W + 2·{pw} ≥ {kw}", x
            )
        n, c, h, w = x.shape
        h_out, w_out = self.output_shape(h, w)
        x_cm = x.transpose(1, 0, 2, 3)  # channel-major view (C, N, H, W)
        if ph or pw:
            padded = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
            padded[:, :, ph : ph + h, pw : pw + w] = x_cm
        else:
            padded = x_cm
        # im2col: cols[ch, i, j, n, r, q] = padded[ch, n, sh*r + i, sw*q + j].
        cols = np.empty((c, kh, kw, n, h_out, w_out), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, i, j] = padded[
                    :, :, i : i + sh * (h_out - 1) + 1 : sh, j : j + sw * (w_out - 1) + 1 : sw
                ]
        self._cols = cols.reshape(c * kh * kw, n * h_out * w_out)
        self._x_shape = x.shape
        y = self.params["weight"].reshape(self.out_channels, -1) @ self._cols
        if "bias" in self.params:
            y += self.params["bias"][:, None]
        return y.reshape(self.out_channels, n, h_out, w_out).transpose(1, 0, 2, 3)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        (ph, pw), (_, h, w) = self.padding, self._x_shape[1:]
        h_out, w_out = grad_out.shape[2:]
        # (C_out, N·H_out·W_out): a view when grad_out is already channel-major, else one copy.
        g = grad_out.transpose(1, 0, 2, 3).reshape(self.out_channels, -1)
        if "bias" in self.params:
            np.sum(g, axis=1, out=self.grads["bias"])
        w_mat = self.params["weight"].reshape(self.out_channels, -1)
        # ∂L/∂W_mat = G X_colᵀ, computed as (X_col Gᵀ)ᵀ: single-threaded OpenBLAS ran this
        # orientation of the long N·H_out·W_out reduction 1.5-2× faster in our measurements
        # (equal with 2 threads); the transposed copy of the small result is free.
        grad_w_t = self._cols @ g.T
        self.grads["weight"].reshape(self.out_channels, -1)[...] = grad_w_t.T
        if not self.input_grad:
            return None
        grad_padded = self._col2im(w_mat.T @ g, h_out, w_out)
        return grad_padded[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3)

    def _col2im(self, grad_cols: np.ndarray, h_out: int, w_out: int) -> np.ndarray:
        """``∂L/∂X_col: (C k_h k_w, N H_out W_out)`` -> ``∂L/∂x_pad: (C, N, H_pad, W_pad)``.

        Kernel offset ``(i, j)`` read ``x_pad[:, :, s_h r + i, s_w q + j]``; its gradient is added
        back there, so positions read by several offsets accumulate. One strided add per offset.
        """
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        n, c, h, w = self._x_shape
        grad_cols = grad_cols.reshape(c, kh, kw, n, h_out, w_out)
        grad_padded = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=grad_cols.dtype)
        for i in range(kh):
            for j in range(kw):
                grad_padded[
                    :, :, i : i + sh * (h_out - 1) + 1 : sh, j : j + sw * (w_out - 1) + 1 : sw
                ] += grad_cols[:, i, j]
        return grad_padded

    def __repr__(self) -> str:
        return (
            f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={'bias' in self.params})"
        )
