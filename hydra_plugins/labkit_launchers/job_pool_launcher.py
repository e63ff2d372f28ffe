"""Hydra's joblib launcher with labkit's check of ``n_jobs`` (Hydra finds launchers in ``hydra_plugins``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

from labkit.entry import refuse
from labkit.job_pool import gpu_count

log = logging.getLogger(__name__)


class JoblibPoolLauncher(JoblibLauncher):
    """Hydra's joblib launcher with ``n_jobs`` checked: an integer >= 1, and a warning past the cores.

    joblib reads ``n_jobs=-1`` as every core and 0 as an error deep in its pool; a labkit sweep
    says how many jobs it runs at once.
    """

    def __init__(self, **kwargs: Any) -> None:
        n_jobs = kwargs.get("n_jobs")
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
            refuse(
                f"hydra.launcher.n_jobs must be an integer >= 1 (the jobs run at once), got "
                f"{n_jobs!r}. E.g. hydra.launcher.n_jobs=2"
            )
        cores = os.cpu_count() or 1
        if n_jobs > cores and gpu_count() == 0:
            log.warning(
                "%d jobs at once on %d cores and no GPU: each job gets 1 thread and they share "
                "the cores, so each runs about %.1fx slower than alone and the sweep ends no "
                "sooner than with hydra.launcher.n_jobs=%d.",
                n_jobs,
                cores,
                n_jobs / cores,
                cores,
            )
        super().__init__(**kwargs)
