"""``DropoutOne``: drop only the first feature of each row (seed 000 Part 2c)."""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer


class DropoutOne(Layer):
    """In training, ``y = x`` except ``y[n, 0] = m_n x[n, 0]`` with ``m_n ~ Bernoulli(1 - p)``.

    Parameters
    ----------
    p : float
        Probability, independent per row, that the first feature is zeroed (default 0.5).
    rng : np.random.Generator, optional
        Source of the masks (a fresh ``default_rng()`` if not given).

    Shapes
    ------
    ``x: (N, D) -> y: (N, D)``.

    Notes
    -----
    Backward: ``y`` is linear in ``x`` with the mask fixed, ``∂y[n, 0]/∂x[n, 0] = m_n`` and the
    other features pass unchanged, so the correct backward multiplies the upstream gradient's
    first column by *the same mask drawn in forward* (stored in ``mask``) and passes the rest
    through. Drawing a new mask in backward would be wrong.

    No rescaling by ``1/(1-p)``: the seed asks for a layer that "zeros out the first dimension",
    and the autoencoder experiment relies on the decoder seeing either the exact code or exactly
    0 in that slot. At eval the layer is the identity, i.e. the "kept" case, so a decoder trained
    with it sees in-distribution codes; inverted-dropout scaling would instead double the kept
    values in training and make eval codes half as large as anything seen in training.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"DropoutOne: p must be in [0, 1], got {p}")
        self.p = p
        self.rng = rng if rng is not None else np.random.default_rng()
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] < 1:
            raise self._shape_error("(N, D) with D ≥ 1", x)
        if not self.training:
            self.mask = None
            return x
        # mask[n] = 1 keeps x[n, 0], 0 drops it; drawn once per forward, vectorised over rows.
        self.mask = (self.rng.random(x.shape[0]) >= self.p).astype(x.dtype)
        y = x.copy()
        y[:, 0] *= self.mask
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.mask is None:
            return grad_out
        grad_in = grad_out.copy()
        grad_in[:, 0] *= self.mask
        return grad_in

    def __repr__(self) -> str:
        return f"DropoutOne(p={self.p})"
