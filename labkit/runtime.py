"""Process-wide torch settings a run needs before it trains: threads, and no GPU probe per step."""

from __future__ import annotations

import os

import torch

NVML_CHECK_VAR = "PYTORCH_NVML_BASED_CUDA_CHECK"


def set_threads(threads: int | None) -> None:
    """Intra-op threads for torch; ``None`` keeps torch's default (all cores)."""
    if threads:
        torch.set_num_threads(threads)


def skip_gpu_probe_without_gpus() -> None:
    """Stop torch from re-probing NVML on every optimizer step when the machine has no GPU.

    Importing Lightning sets ``PYTORCH_NVML_BASED_CUDA_CHECK=1`` (so that CUDA checks never
    initialise CUDA in a process that may fork later). With it, and with CUDA never
    initialised, every ``torch.cuda.is_available()`` loads libnvidia-ml again, and Adam calls it
    on each step. With no GPU there is no
    CUDA to protect from a fork, so the check goes back to torch's default, which is cached.
    """
    if os.environ.get(NVML_CHECK_VAR) == "1" and torch.cuda.device_count() == 0:
        del os.environ[NVML_CHECK_VAR]
