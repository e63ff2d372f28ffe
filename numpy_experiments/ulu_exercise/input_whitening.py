"""A fixed affine normaliser for the optimiser's benefit, and folding it back into a Linear layer.

``z = (x - μ) T`` with ``T = V Λ^{-1/2}`` (PCA whitening: ``Cov(z) = I``), or ``T = diag(1/σ)``
(per-coordinate standardisation), or ``T = I, μ = 0`` (raw). Gradient descent on a linear model
converges at a rate set by the condition number of its input's second moment; feeding ``z``
instead of ``x`` makes that 1 (whitening), which is why the autoencoders train on ``z``.

The model is unchanged as a function of ``x``: an encoder ``c = z Wᵀ + b`` equals
``c = x (W Tᵀ)ᵀ + (b - μ T Wᵀ)``, i.e. a raw-data Linear with ``W' = W Tᵀ``, ``b' = b - W Tᵀ μ``
(:meth:`InputNormaliser.fold_into`), so the reported model maps original data to its
reconstruction on the original scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labkit.errors import ConfigError

NORMALISATIONS = ("whiten", "standardise", "none")


@dataclass(frozen=True)
class InputNormaliser:
    """``z = (x - mean) @ transform``; ``mean: (D,)``, ``transform: (D, D)``."""

    mean: np.ndarray
    transform: np.ndarray

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``points: (N, D) -> (N, D)``."""
        return (points - self.mean) @ self.transform

    def fold_into(self, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw-data ``(W', b')`` of a Linear ``(weight: (K, D), bias: (K,))`` that reads ``z``."""
        raw_weight = weight @ self.transform.T
        return raw_weight, bias - raw_weight @ self.mean


def fit_normaliser(points: np.ndarray, kind: str) -> InputNormaliser:
    """Fit ``kind`` (``whiten`` | ``standardise`` | ``none``) to ``points: (N, D)``."""
    d = points.shape[1]
    if kind == "none":
        return InputNormaliser(np.zeros(d), np.eye(d))
    mean = points.mean(axis=0)
    if kind == "standardise":
        return InputNormaliser(mean, np.diag(1 / points.std(axis=0)))
    if kind == "whiten":
        centred = points - mean
        variances, vectors = np.linalg.eigh(centred.T @ centred / len(points))
        return InputNormaliser(mean, vectors / np.sqrt(variances))
    raise ConfigError(f"unknown input normalisation {kind!r}; choose one of {NORMALISATIONS}")
