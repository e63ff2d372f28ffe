"""A sweep's jobs side by side on one machine: Hydra's joblib launcher, with the cores and GPUs shared out.

``python train.py -m hydra/launcher=joblib hydra.launcher.n_jobs=N ...`` runs N jobs at once,
each in a process of joblib's pool (the launcher: ``hydra_plugins/labkit_launchers/``). Left alone, each job's torch (or BLAS) would start a thread
per core, N times over; here each job gets ``cores // N`` threads (``threads: ${pool_threads:}``
in the configs), and on a machine with G GPUs job k trains on GPU ``k mod G``
(``devices: ${pool_devices:1}``). A value set on the command line wins over both.
"""

from __future__ import annotations

import os
from typing import Any

from hydra.core.hydra_config import HydraConfig


def pool_threads(n_jobs: int, cores: int) -> int:
    """Threads for each of ``n_jobs`` jobs sharing ``cores`` cores: an equal share, at least one."""
    return max(1, cores // n_jobs)


def pool_gpu(job_num: int, gpus: int) -> int:
    """The GPU of job ``job_num`` (0-based, as Hydra numbers a sweep's jobs) among ``gpus``."""
    return job_num % gpus


def pool_size() -> int | None:
    """N when this process runs a job of a joblib pool of N jobs, else None."""
    if not HydraConfig.initialized():
        return None
    launcher = HydraConfig.get().launcher
    if not str(launcher.get("_target_", "")).endswith(".JoblibPoolLauncher"):
        return None
    return int(launcher.n_jobs)


def threads_for_this_job() -> int | None:
    """This pool job's share of the cores; None (the library's default) outside a pool."""
    n_jobs = pool_size()
    return None if n_jobs is None else pool_threads(n_jobs, os.cpu_count() or 1)


def devices_for_this_job(devices: Any) -> Any:
    """``[k mod G]`` for job k of a pool on a machine with G GPUs and one device per job; else ``devices``."""
    if devices != 1 or pool_size() is None:
        return devices
    gpus = gpu_count()
    return [pool_gpu(int(HydraConfig.get().job.num), gpus)] if gpus else devices


def gpu_count() -> int:
    import torch  # only in a pool job, which is about to train with it anyway

    return torch.cuda.device_count()
