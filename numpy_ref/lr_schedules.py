"""Learning-rate schedules as plain functions of the step: ``lr(step)`` for ``step = 0, 1, ...``."""

from __future__ import annotations

import math
from collections.abc import Callable

LrSchedule = Callable[[int], float]
SCHEDULES = ("constant", "cosine", "linear")


def make_lr_schedule(
    name: str, base_lr: float, total_steps: int, final_fraction: float = 0.0
) -> LrSchedule:
    """``lr(step)`` decaying from ``base_lr`` to ``final_fraction · base_lr`` over ``total_steps``.

    * ``constant``: ``lr = base_lr``.
    * ``cosine``: ``lr = f + (1 - f) · ½ (1 + cos(π t / T))`` times ``base_lr`` (``f`` the final
      fraction): a slow start of the decay, then a fast one, then a flat end where the
      parameters settle; usually the best short schedule for Adam.
    * ``linear``: ``lr = (1 - (1 - f) t / T) · base_lr``.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {name!r}; choose one of {SCHEDULES}")
    if total_steps < 1:
        raise ValueError(f"an lr schedule needs at least one step, got total_steps={total_steps}")
    if not 0 <= final_fraction <= 1:
        raise ValueError(f"lr final_fraction must be in [0, 1], got {final_fraction}")
    f = final_fraction

    def constant(step: int) -> float:
        return base_lr

    def cosine(step: int) -> float:
        t = min(step, total_steps) / total_steps
        return base_lr * (f + (1 - f) * 0.5 * (1 + math.cos(math.pi * t)))

    def linear(step: int) -> float:
        t = min(step, total_steps) / total_steps
        return base_lr * (1 - (1 - f) * t)

    return {"constant": constant, "cosine": cosine, "linear": linear}[name]
