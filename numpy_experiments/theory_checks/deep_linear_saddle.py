"""Seed 001, bonus 4.1: at ``W_{0:L} = 0`` the gradient vanishes and the loss falls and rises.

For each random instance (depth ``L ≥ 1``, widths without a bottleneck, ``X``, ``Y`` standard
normal) the check measures what the proof in ``docs/theory/001_4.1_deep_linear_saddle.md``
predicts: with ``a, b, σ`` the top singular pair and value of ``Y Xᵀ`` and ``c = ‖Xᵀ b‖²``,

* the gradient at ``W = 0`` is exactly zero (for the one-layer net, ``L = 0``, it is ``-Y Xᵀ``);
* along the rank-one path ``W_l(t) = t u_{l+1} u_lᵀ`` (``u_0 = b``, ``u_{L+1} = a``, unit
  ``u_l`` otherwise) the loss is ``ℒ(t) = ½‖Y‖² - σ t^{L+1} + ½ c t^{2L+2}``, below ``ℒ(0)``
  for ``0 < t < (2σ/c)^{1/(L+1)}``;
* with ``W_L`` negated it is ``½‖Y‖² + σ t^{L+1} + ½ c t^{2L+2}``, above ``ℒ(0)`` for ``t > 0``.

The loss is probed at ``t = probe_fraction · t*``, ``t* = (σ/c)^{1/(L+1)}`` the minimiser
along the path, so each instance is probed at its own scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from numpy_experiments.theory_checks.deep_linear_net import square_loss, square_loss_gradient


@dataclass
class SaddleInstance:
    """One data set and net shape; ``widths = [n_0, ..., n_{L+1}]``, ``X: (n_0, m)``, ``Y: (n_{L+1}, m)``."""

    widths: list[int]
    X: np.ndarray
    Y: np.ndarray

    @property
    def depth(self) -> int:
        """``L``: the net has ``L + 1`` weight matrices."""
        return len(self.widths) - 2

    def zeros(self) -> list[np.ndarray]:
        return [np.zeros((n_out, n_in)) for n_in, n_out in pairwise(self.widths)]


@dataclass
class RankOnePath:
    """``W_l(t) = t u_{l+1} u_lᵀ``, ``sign`` times ``W_L``; its closed-form loss."""

    units: list[np.ndarray]  # u_0 = b, ..., u_{L+1} = a; each of norm 1
    sigma: float  # top singular value of Y Xᵀ
    curvature: float  # c = ‖Xᵀ b‖²
    loss_at_zero: float  # ½ ‖Y‖²

    @property
    def depth(self) -> int:
        return len(self.units) - 2

    @property
    def t_star(self) -> float:
        """Where the lowering path's loss is smallest: ``(σ/c)^{1/(L+1)}``."""
        return (self.sigma / self.curvature) ** (1 / (self.depth + 1))

    def weights(self, t: float, sign: float) -> list[np.ndarray]:
        w = [t * np.outer(u_out, u_in) for u_in, u_out in pairwise(self.units)]
        w[-1] = sign * w[-1]
        return w

    def closed_form(self, t: float, sign: float) -> float:
        s = t ** (self.depth + 1)
        return self.loss_at_zero - sign * self.sigma * s + 0.5 * self.curvature * s * s


@dataclass
class SaddleResult:
    """What one instance measured."""

    instance: SaddleInstance
    path: RankOnePath
    grad_norm_at_zero: float  # max over layers of ‖∇_{W_l} ℒ(0)‖_F
    grad_norm_at_zero_one_layer: float  # ‖∇ℒ(0)‖_F of the L = 0 net on the same data: ‖Y Xᵀ‖_F
    probe_t: float
    decrease: float  # ℒ(0) - ℒ(W(t)) along the lowering path
    increase: float  # ℒ(W(t)) - ℒ(0) with W_L negated
    closed_form_error: float  # max |measured - closed form| / ℒ(0) over a grid of t in [0, t*]
    grad_fd_error: float  # the gradient formula against centred differences at a random point


def random_instance(
    depth: int, max_width: int, max_samples: int, rng: np.random.Generator
) -> SaddleInstance:
    """Widths ``n_0 ∈ [2, max_width]``, ``n_{L+1} ∈ [1, max_width]``, hidden widths in
    ``[min(n_0, n_{L+1}), max_width]`` (no bottleneck), ``m ∈ [2, max_samples]`` samples."""
    if depth < 1 or max_width < 2 or max_samples < 2:
        raise ValueError(
            f"need depth >= 1, max_width >= 2, max_samples >= 2; got {depth}, {max_width}, "
            f"{max_samples}"
        )
    n_in, n_out = int(rng.integers(2, max_width + 1)), int(rng.integers(1, max_width + 1))
    smallest = min(n_in, n_out)
    hidden = [int(rng.integers(smallest, max_width + 1)) for _ in range(depth)]
    m = int(rng.integers(2, max_samples + 1))
    return SaddleInstance(
        widths=[n_in, *hidden, n_out],
        X=rng.standard_normal((n_in, m)),
        Y=rng.standard_normal((n_out, m)),
    )


def rank_one_path(instance: SaddleInstance, rng: np.random.Generator) -> RankOnePath:
    """The path built from the top singular vectors of ``Y Xᵀ`` (random unit hidden vectors)."""
    left, singular, right_t = np.linalg.svd(instance.Y @ instance.X.T)
    if singular[0] <= 0:
        raise ValueError("Y Xᵀ = 0: the assumption of seed 001's 4.1 fails, there is no saddle")
    a, b = left[:, 0], right_t[0]
    hidden = [rng.standard_normal(n) for n in instance.widths[1:-1]]
    return RankOnePath(
        units=[b, *(u / np.linalg.norm(u) for u in hidden), a],
        sigma=float(singular[0]),
        curvature=float(np.sum((instance.X.T @ b) ** 2)),
        loss_at_zero=0.5 * float(np.sum(instance.Y**2)),
    )


def gradient_fd_error(instance: SaddleInstance, rng: np.random.Generator, step: float) -> float:
    """``‖g - g_fd‖ / max(‖g‖, ‖g_fd‖)`` of ``square_loss_gradient`` at random weights.

    Without it a gradient that returned zeros everywhere would pass the check at ``W = 0``.
    """
    weights = [rng.standard_normal(w.shape) for w in instance.zeros()]
    analytic = square_loss_gradient(weights, instance.X, instance.Y)
    worst = 0.0
    for w, g in zip(weights, analytic, strict=True):
        numeric = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            original = w[index]
            w[index] = original + step
            plus = square_loss(weights, instance.X, instance.Y)
            w[index] = original - step
            minus = square_loss(weights, instance.X, instance.Y)
            w[index] = original
            numeric[index] = (plus - minus) / (2 * step)
        scale = max(np.linalg.norm(g), np.linalg.norm(numeric))
        worst = max(worst, 0.0 if scale == 0 else float(np.linalg.norm(g - numeric) / scale))
    return worst


def check_instance(
    instance: SaddleInstance,
    rng: np.random.Generator,
    probe_fraction: float,
    grid_points: int,
    fd_step: float,
) -> SaddleResult:
    """Measure the gradient at 0 and the loss along both directions of ``instance``."""
    X, Y = instance.X, instance.Y
    zero = instance.zeros()
    grads = square_loss_gradient(zero, X, Y)
    one_layer = square_loss_gradient([np.zeros((Y.shape[0], X.shape[0]))], X, Y)[0]
    path = rank_one_path(instance, rng)
    loss_zero = square_loss(zero, X, Y)
    t = probe_fraction * path.t_star
    grid = np.linspace(0.0, path.t_star, grid_points)
    closed_form_error = max(
        abs(square_loss(path.weights(s, sign), X, Y) - path.closed_form(s, sign)) / loss_zero
        for s in grid
        for sign in (1.0, -1.0)
    )
    return SaddleResult(
        instance=instance,
        path=path,
        grad_norm_at_zero=max(float(np.linalg.norm(g)) for g in grads),
        grad_norm_at_zero_one_layer=float(np.linalg.norm(one_layer)),
        probe_t=t,
        decrease=loss_zero - square_loss(path.weights(t, 1.0), X, Y),
        increase=square_loss(path.weights(t, -1.0), X, Y) - loss_zero,
        closed_form_error=closed_form_error,
        grad_fd_error=gradient_fd_error(instance, rng, fd_step),
    )


def check_saddles(
    instances: int,
    depths: list[int],
    max_width: int,
    max_samples: int,
    probe_fraction: float,
    grid_points: int,
    fd_step: float,
    rng: np.random.Generator,
) -> list[SaddleResult]:
    """``instances`` random instances, their depths cycling through ``depths``."""
    if instances < 1 or not depths:
        raise ValueError(f"need instances >= 1 and some depths, got {instances}, {depths}")
    if not 0 < probe_fraction < 2 ** (1 / (max(depths) + 1)):
        # Past (2σ/c)^{1/(L+1)} = 2^{1/(L+1)} t* the lowering path is above ℒ(0) again.
        raise ValueError(f"probe_fraction must be in (0, 2^(1/(L+1))), got {probe_fraction}")
    return [
        check_instance(
            random_instance(depths[i % len(depths)], max_width, max_samples, rng),
            rng,
            probe_fraction,
            grid_points,
            fd_step,
        )
        for i in range(instances)
    ]


def saddle_figures(results: list[SaddleResult]) -> dict[str, float]:
    """The ``saddle/...`` figures of summary.json."""
    return {
        "saddle/instances": len(results),
        "saddle/max_grad_norm_at_zero": max(r.grad_norm_at_zero for r in results),
        "saddle/min_grad_norm_at_zero_one_layer": min(
            r.grad_norm_at_zero_one_layer for r in results
        ),
        "saddle/grad_fd_max_rel_error": max(r.grad_fd_error for r in results),
        "saddle/instances_lower_found": sum(r.decrease > 0 for r in results),
        "saddle/instances_higher_found": sum(r.increase > 0 for r in results),
        "saddle/min_decrease": min(r.decrease for r in results),
        "saddle/min_increase": min(r.increase for r in results),
        "saddle/max_closed_form_rel_error": max(r.closed_form_error for r in results),
    }
