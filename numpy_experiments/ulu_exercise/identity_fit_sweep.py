"""Part (a): ``Linear(D, D)`` fitted to reproduce raw points by full-batch GD, over a range of lrs.

The loss ``L(W, b) = 1/N Σ_n ||W x_n + b - x_n||²`` is a quadratic with minimum 0 at ``W = I,
b = 0``, so GD's behaviour is fixed by the Hessian spectrum (:mod:`.linear_ae_theory`): with
the raw ulu data it is so ill-conditioned that no step size converges well in 50 steps. Every
lr starts from the same initial weights, so the sweep compares step sizes and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numpy_experiments.ulu_exercise.linear_ae_theory import (
    identity_fit_curvature,
    identity_fit_gd_loss,
)
from numpy_ref.linear import Linear
from numpy_ref.losses import MSEReconstructionLoss
from numpy_ref.optim import SGD

# Losses beyond this are reported as diverged (and the run stops, before overflow warnings).
DIVERGED_LOSS = 1e12


@dataclass(frozen=True)
class LrRun:
    """One step size: ``losses[t]`` before step t (``losses[-1]`` after the last step).

    ``predicted_final_loss``: the closed-form loss after the same steps from the same weights.
    ``contraction``: worst per-step error factor ``max_i |1 - lr h_i|``; ``slow_contraction``:
    the factor ``|1 - lr h_min|`` of the flattest direction.
    """

    lr: float
    losses: list[float]
    predicted_final_loss: float
    contraction: float
    slow_contraction: float

    @property
    def diverged(self) -> bool:
        return not np.isfinite(self.losses[-1]) or self.losses[-1] > DIVERGED_LOSS

    @property
    def final_loss(self) -> float:
        return float("inf") if self.diverged else self.losses[-1]


def fit_identity_by_gd(
    points: np.ndarray, lr: float, steps: int, init_state: dict[str, np.ndarray]
) -> list[float]:
    """Full-batch GD on raw ``points: (N, D)`` from ``init_state``; the loss before each step."""
    d = points.shape[1]
    layer = Linear(d, d, dtype=np.float64)
    layer.load_state_dict(init_state)
    loss_fn = MSEReconstructionLoss()
    optimizer = SGD(layer, lr=lr)
    losses = []
    for _ in range(steps):
        losses.append(loss_fn.forward(layer.forward(points), points))
        if not np.isfinite(losses[-1]) or losses[-1] > DIVERGED_LOSS:
            return losses + [float("inf")] * (steps + 1 - len(losses))
        layer.backward(loss_fn.backward())
        optimizer.step()
    losses.append(loss_fn.forward(layer.forward(points), points))
    return losses


def sweep_learning_rates(
    points: np.ndarray,
    lrs: np.ndarray,
    steps: int,
    rng: np.random.Generator,
    init: str = "xavier_uniform",
) -> list[LrRun]:
    """Run :func:`fit_identity_by_gd` for every lr from one random initialisation."""
    d = points.shape[1]
    init_state = Linear(d, d, init=init, dtype=np.float64, rng=rng).state_dict()
    curvature = identity_fit_curvature(points)
    runs = []
    for lr in lrs:
        with np.errstate(over="ignore", invalid="ignore"):
            predicted = identity_fit_gd_loss(
                points, init_state["weight"], init_state["bias"], float(lr), steps
            )
        runs.append(
            LrRun(
                lr=float(lr),
                losses=fit_identity_by_gd(points, float(lr), steps, init_state),
                predicted_final_loss=predicted,
                contraction=curvature.contraction(float(lr)),
                slow_contraction=curvature.slow_contraction(float(lr)),
            )
        )
    return runs
