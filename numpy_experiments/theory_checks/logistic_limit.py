"""Seed 004 §1.3: the average logistic loss at ``z⁽²⁾ = -1e10 · 1``, ``y = 0``, naive and stable.

``σ(-1e10)`` rounds to exactly 0, so the naive loss evaluates ``-y log ŷ = -0 · log 0 =
-0 · (-inf) = nan`` and the mean is ``nan``. The stable loss ``log(1 + e^{z}) - y z`` is
``np.logaddexp(0, -1e10) = log1p(e^{-1e10}) = 0``: the true value ``≈ e^{-1e10}`` is far below
the smallest double, so 0 is the correctly rounded answer.

summary.json holds the naive loss as two flags, because ``json.dumps`` writes ``nan`` as the bare
token ``NaN``, which is not JSON (RFC 8259) and which strict readers refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numpy_ref.activations import sigmoid
from numpy_ref.losses import logistic_loss, stable_logistic_loss


@dataclass
class LogisticLimit:
    naive_loss: float  # nan here: kept for the console, not for summary.json
    stable_loss: float

    def figures(self) -> dict[str, float]:
        return {
            "logistic/naive_is_finite": int(np.isfinite(self.naive_loss)),
            "logistic/naive_is_nan": int(np.isnan(self.naive_loss)),
            "logistic/stable_loss": self.stable_loss,
        }


def logistic_at_saturated_logit(logit: float, batch_size: int) -> LogisticLimit:
    """Both losses at ``z⁽²⁾ = logit · 1`` (``batch_size`` samples), ``y = 0``."""
    z2, y = np.full(batch_size, float(logit)), np.zeros(batch_size)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 and 0 · inf: the point of §1.3
        naive = logistic_loss(y, sigmoid(z2))
    return LogisticLimit(naive_loss=naive, stable_loss=stable_logistic_loss(y, z2))
