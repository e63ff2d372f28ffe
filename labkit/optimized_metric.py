"""The metric a sweeper optimises must be one the run logs, or every job would return nothing."""

from __future__ import annotations

import math
from collections.abc import Mapping

from labkit.errors import ConfigError


def sweep_value(metrics: Mapping[str, float], name: str | None) -> float | None:
    """What a job hands its sweeper: ``metrics[name]`` when finite, else None.

    A failed job has no metrics, a diverged one NaN. Hydra's Optuna sweeper records None as a
    failed trial and goes on; NaN stops the whole sweep (Optuna's ``tell`` refuses it, then
    refuses it again as a failed trial's value).
    """
    value = metrics.get(name) if name else None
    return float(value) if value is not None and math.isfinite(value) else None


def check_optimized_metric(name: str | None, model: object) -> None:
    """ConfigError when ``name`` is set and ``model`` (a ``TrainingModule``) never logs it.

    Checked before anything trains: a sweep with a misspelt ``optimized_metric`` would otherwise
    run every job to the end and hand the sweeper ``None``.
    """
    logged = getattr(model, "logged_metric_names", None)
    if not name or logged is None:
        return
    names = logged()
    if name not in names:
        raise ConfigError(
            f"optimized_metric={name} is not a metric this model logs. Choose one of: "
            f"{', '.join(sorted(names))} (e.g. optimized_metric={sorted(names)[0]})."
        )
