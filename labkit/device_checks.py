"""Whether the trainer's accelerator and device count exist on this machine, before anything is built."""

from __future__ import annotations

import os

import torch
from omegaconf import DictConfig, ListConfig

from labkit.errors import ConfigError


def usable_cpus() -> int:
    """CPU cores this process may run on (fewer than the machine's under a job scheduler)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _devices_asked(devices: object, available: int) -> tuple[int, int | None]:
    """(how many devices ``devices`` asks for, the highest index it names or None), as Lightning reads it.

    ``auto`` and -1 mean every available device; an int N, N of them; a list or ``"0,2"``, those
    indices.
    """
    if isinstance(devices, ListConfig | list | tuple):
        indices = [int(i) for i in devices]
        return len(indices), max(indices, default=None)
    text = str(devices).strip()
    if text in ("auto", "-1"):
        return max(available, 1), None
    if "," in text:
        indices = [int(i) for i in text.split(",") if i.strip()]
        return len(indices), max(indices, default=None)
    return int(text), None


def settings_that_run_here(gpus: int, cpus: int) -> str:
    """The trainer overrides that fit this machine, for an error message."""
    ddp_cpu = f"trainer=ddp trainer.accelerator=cpu trainer.devices=N with N <= {cpus}"
    if gpus == 0:
        return f"this machine has no GPU and {cpus} CPU cores; run with trainer=cpu, or {ddp_cpu}"
    return (
        f"this machine has {gpus} GPU{'s' if gpus > 1 else ''}; run with trainer=gpu "
        f"(trainer.devices <= {gpus}), trainer=ddp trainer.devices={gpus}, or trainer=cpu"
    )


def check_devices(trainer: DictConfig, gpus: int | None = None, cpus: int | None = None) -> None:
    """Raise ConfigError when ``trainer`` asks for a GPU or more devices than this machine has.

    Lightning would stop later (after the data and model are built) with a traceback. CPU
    "devices" are processes: more than the usable cores is refused too. Accelerators other than
    CPU and CUDA are left to Lightning.

    Args:
        trainer: the trainer config (``accelerator``, ``devices``).
        gpus, cpus: what the machine has; by default what torch and the OS report.
    """
    gpus = torch.cuda.device_count() if gpus is None else gpus
    cpus = usable_cpus() if cpus is None else cpus
    accelerator = str(trainer.get("accelerator", "auto")).lower()
    if accelerator == "auto":
        accelerator = "gpu" if gpus > 0 else "cpu"
    if accelerator not in ("gpu", "cuda", "cpu"):
        return
    on_gpu = accelerator in ("gpu", "cuda")
    available, unit = (gpus, "GPU") if on_gpu else (cpus, "CPU core")
    devices = trainer.get("devices", "auto")
    asked = f"trainer.accelerator={trainer.get('accelerator')} trainer.devices={devices}"
    if on_gpu and gpus == 0:
        raise ConfigError(f"{asked} needs a GPU, but {settings_that_run_here(gpus, cpus)}.")
    try:
        count, highest = _devices_asked(devices, available)
    except ValueError:
        return  # a form Lightning may know and we do not: Lightning checks it
    if count > available or (highest is not None and highest >= available):
        what = f"{count} {unit}{'s' if count > 1 else ''}"
        if highest is not None:
            what += f" (up to index {highest})"
        raise ConfigError(f"{asked} asks for {what}, but {settings_that_run_here(gpus, cpus)}.")
