"""A sweep on a SLURM cluster: one job per sweep point through Hydra's submitit launcher, DDP inside it.

``configs/hydra/launcher/submitit_slurm.yaml`` derives the job's shape from the trainer, so
``trainer=ddp trainer.devices=4 trainer.num_nodes=2`` asks for 2 nodes x 4 tasks (and 4 GPUs
per node unless ``trainer.accelerator=cpu``): srun starts one task per device and Lightning's
SLURM environment reads each task's rank from SLURM's variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from labkit.entry import refuse

CHECKOUT = Path(__file__).resolve().parents[1]


def make_checkout_importable() -> None:
    """Put this checkout on ``PYTHONPATH``, which submitit's job processes inherit.

    A submitit job unpickles its task in a new ``python -m submitit.core._submit`` process,
    started in the sweep's working directory: from anywhere but the checkout, ``labkit`` (and
    every module a config names) would not import there.
    """
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(CHECKOUT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT), *paths])


def tasks_per_node(devices: Any) -> int:
    """One SLURM task per device: ``trainer.devices`` as a count (an int or a list of GPU ids)."""
    if isinstance(devices, int) and not isinstance(devices, bool) and devices >= 1:
        return devices
    if isinstance(devices, list | tuple) and devices:
        return len(devices)
    refuse(
        f"hydra/launcher=submitit_slurm starts one task per device, so trainer.devices must be a "
        f"number of devices, got {devices!r}. E.g. trainer.devices=4"
    )


def gpus_per_node(accelerator: str, devices: Any) -> int | None:
    """GPUs to ask SLURM for on each node: one per task, unless the trainer runs on CPUs."""
    return None if str(accelerator) == "cpu" else tasks_per_node(devices)
