"""Closed-form answers for the linear autoencoder experiments on a point cloud ``X: (N, D)``.

All losses are the mean squared Euclidean distance ``L = 1/N Σ_n ||x̂_n - x_n||²`` on the data's
own scale. ``λ_1 ≥ ... ≥ λ_D`` are the eigenvalues of the (biased, ``1/N``) covariance
``C = 1/N Σ_n (x_n - μ)(x_n - μ)ᵀ``, i.e. the squared singular values of the centred data over N.

* Best affine rank-k reconstruction (Eckart–Young): ``min L = Σ_{i>k} λ_i``.
* Identity fit ``x̂ = W x + b`` by full-batch GD (part a): a quadratic with Hessian ``2 M ⊗ I_D``,
  ``M = 1/N Σ_n x̃_n x̃_nᵀ``, ``x̃ = [x; 1]`` (raw, uncentred second moment of the augmented data).
* Autoencoder with ``DropoutOne`` on a k-dimensional code (part d): ``min E[L] = ½ Σ_{i≥k} λ_i +
  ½ Σ_{i>k} λ_i`` (derivation in :func:`dropout_one_optimal_loss`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def principal_variances(points: np.ndarray) -> np.ndarray:
    """Eigenvalues ``λ_1 ≥ ... ≥ λ_D`` of the biased covariance of ``points: (N, D)``, by SVD."""
    centred = points - points.mean(axis=0)
    singular_values = np.linalg.svd(centred, compute_uv=False)
    return singular_values**2 / len(points)


def covariance_condition_number(points: np.ndarray) -> float:
    """``κ(C) = λ_max / λ_min`` of the data's covariance (how stretched the cloud is)."""
    variances = principal_variances(points)
    return float(variances[0] / variances[-1])


def best_rank_k_affine_loss(points: np.ndarray, k: int) -> float:
    """``min_{rank-k affine g} 1/N Σ_n ||g(x_n) - x_n||² = Σ_{i>k} λ_i`` (Eckart–Young).

    The optimum is ``g(x) = μ + P_k (x - μ)`` with ``P_k`` the projector on the top-k principal
    directions; a ``D→k→D`` linear autoencoder with biases can represent exactly these maps, so
    this is the theoretical minimum of its reconstruction loss.
    """
    return float(principal_variances(points)[k:].sum())


def dropout_one_optimal_loss(points: np.ndarray, code_dim: int) -> float:
    """Minimum expected loss of ``x̂ = W₂ m(W₁ x + b₁) + b₂`` where ``m`` zeros code entry 1 w.p. ½.

    Derivation. Write the code ``c = (c_1, c_rest)`` and the decoder columns ``a_1, A_rest``. With
    probability ½ the decoder sees ``c`` and outputs a rank-≤k affine function of x; with
    probability ½ it sees ``(0, c_rest)`` and outputs ``A_rest c_rest + b₂``, a rank-≤(k-1) affine
    function of x. So

        E[L] = ½ L_kept + ½ L_dropped ≥ ½ Σ_{i>k} λ_i + ½ Σ_{i≥k} λ_i,

    each term bounded by Eckart–Young. The bound is attained by one model: let ``c_rest`` encode
    the top k-1 principal coordinates (``A_rest c_rest + b₂ = μ + P_{k-1}(x - μ)``, optimal when
    dropped) and ``c_1`` the k-th principal coordinate with ``a_1`` its direction (the kept
    reconstruction is then ``μ + P_k (x - μ)``, optimal too). Hence the minimum is the bound:

        min E[L] = ½ Σ_{i≥k} λ_i + ½ Σ_{i>k} λ_i.

    When ``λ_{k-1} > λ_k > λ_{k+1}`` the optimum is unique up to rescaling the codes, so at the
    optimum the first code coordinate is an affine function of the k-th principal coordinate
    alone: dropout pushes the *least* important kept direction into ``c_1``. (If the dropout layer
    rescales survivors by 2, the decoder absorbs the factor; the minimum is the same.)
    """
    variances = principal_variances(points)
    if not 1 <= code_dim <= len(variances):
        raise ValueError(f"code_dim must be in [1, {len(variances)}], got {code_dim}")
    dropped = variances[code_dim - 1 :].sum()
    kept = variances[code_dim:].sum()
    return float(0.5 * dropped + 0.5 * kept)


@dataclass(frozen=True)
class IdentityFitCurvature:
    """Curvature of ``L(W, b) = 1/N Σ ||W x_n + b - x_n||²`` on raw data (part a).

    ``hessian_eigenvalues``: the distinct eigenvalues ``h_i = 2 μ_i`` of the Hessian, ``μ_i`` the
    eigenvalues of the augmented second moment ``M = 1/N Σ x̃ x̃ᵀ`` (each repeated D times).
    GD with step ``η`` multiplies the error along eigen-direction i by ``(1 - η h_i)`` per step:
    it converges iff ``η < 2 / h_max``; the best worst-case factor over all ``η`` is
    ``(κ - 1)/(κ + 1)`` with ``κ = h_max / h_min``, reached at ``η* = 2 / (h_max + h_min)``.
    """

    hessian_eigenvalues: np.ndarray

    @property
    def condition_number(self) -> float:
        return float(self.hessian_eigenvalues.max() / self.hessian_eigenvalues.min())

    @property
    def max_stable_lr(self) -> float:
        return float(2 / self.hessian_eigenvalues.max())

    @property
    def best_lr(self) -> float:
        return float(2 / (self.hessian_eigenvalues.max() + self.hessian_eigenvalues.min()))

    @property
    def best_contraction(self) -> float:
        kappa = self.condition_number
        return (kappa - 1) / (kappa + 1)

    def contraction(self, lr: float) -> float:
        """Worst per-step error factor ``max_i |1 - η h_i|`` at step size ``η = lr``."""
        return float(np.abs(1 - lr * self.hessian_eigenvalues).max())

    def slow_contraction(self, lr: float) -> float:
        """Per-step factor ``|1 - η h_min|`` of the flattest direction."""
        return float(abs(1 - lr * self.hessian_eigenvalues.min()))


def identity_fit_curvature(points: np.ndarray) -> IdentityFitCurvature:
    """Hessian spectrum of the raw-data identity fit (see :class:`IdentityFitCurvature`)."""
    return IdentityFitCurvature(np.sort(2 * np.linalg.eigvalsh(augmented_second_moment(points))))


def augmented_second_moment(points: np.ndarray) -> np.ndarray:
    """``M = 1/N Σ_n x̃_n x̃_nᵀ`` with ``x̃ = [x; 1]``: ``(D+1, D+1)``."""
    augmented = np.hstack([points, np.ones((len(points), 1), dtype=points.dtype)])
    return augmented.T @ augmented / len(points)


def identity_fit_gd_loss(
    points: np.ndarray, weight: np.ndarray, bias: np.ndarray, lr: float, steps: int
) -> float:
    """Exact loss after ``steps`` of full-batch GD from ``(weight, bias)``, without simulating data.

    With ``Θ = [W, b]: (D, D+1)`` and its optimum ``Θ* = [I, 0]``, the loss is
    ``L(Θ) = tr((Θ - Θ*) M (Θ - Θ*)ᵀ)`` and its gradient ``2 (Θ - Θ*) M``, so GD gives
    ``Θ_t - Θ* = (Θ_0 - Θ*) (I - 2η M)^t``. An independent check of the simulated sweep.
    """
    d = points.shape[1]
    moment = augmented_second_moment(points)
    error = np.hstack([weight - np.eye(d), bias[:, None]])
    step_matrix = np.eye(d + 1) - 2 * lr * moment
    error = error @ np.linalg.matrix_power(step_matrix, steps)
    return float(np.trace(error @ moment @ error.T))


def principal_coordinates(points: np.ndarray) -> np.ndarray:
    """``(N, D)``: coordinates of the centred points along the principal directions, by variance
    (column i has variance ``λ_{i+1}``). Column ``k-1`` is what ``c_1`` encodes at the optimum of
    the DropoutOne autoencoder with a k-dimensional code.
    """
    centred = points - points.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions.T
