"""``plots/saddle_directions.png``: the loss near ``W = 0`` along the two paths, one panel per depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.curves import save_curve_panels
from numpy_experiments.theory_checks.deep_linear_net import square_loss
from numpy_experiments.theory_checks.deep_linear_saddle import SaddleResult


def save_saddle_directions(results: list[SaddleResult], path: Path, points: int) -> Path:
    """For the first instance of each depth: ``ℒ(W(t)) - ℒ(0)`` for ``t ∈ [0, t*]``, measured."""
    first_of_depth: dict[int, SaddleResult] = {}
    for result in results:
        first_of_depth.setdefault(result.instance.depth, result)
    panels, ylabels = {}, {}
    for depth, result in sorted(first_of_depth.items()):
        inst, path_ = result.instance, result.path
        ts = np.linspace(0.0, path_.t_star, points)

        def curve(sign: float, inst=inst, path_=path_, ts=ts) -> list[tuple[float, float]]:
            base = path_.loss_at_zero
            return [(t, square_loss(path_.weights(t, sign), inst.X, inst.Y) - base) for t in ts]

        title = f"L = {depth}, widths {inst.widths}, m = {inst.X.shape[1]}"
        panels[title] = {
            "rank-one path from the top singular pair of YXᵀ": curve(1.0),
            "same path with W_L negated": curve(-1.0),
            "loss at W = 0": [(t, 0.0) for t in ts],
        }
        ylabels[title] = "loss(W(t)) − loss(0)"
    return save_curve_panels(
        path,
        panels,
        "t (every W_l = t · u_{l+1} u_lᵀ, so ‖W_l‖ = t)",
        ylabels,
        suptitle="Deep linear net near W = 0: the loss falls along one path and rises along another",
    )
