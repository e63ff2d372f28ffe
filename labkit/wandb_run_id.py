"""One W&B run per run dir: its id is kept in the run dir, so a resumed run logs into the same W&B run."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from pytorch_lightning.utilities import rank_zero_only

from labkit.atomic_files import write_text

ID_FILE = Path("wandb") / "run_id.txt"
_ID_CHARS = string.ascii_lowercase + string.digits  # the alphabet of W&B's own run ids


def wandb_run_id(output_dir: str, resume: bool) -> str:
    """The W&B run id for the run in ``output_dir``: the stored one when resuming, else a new one.

    A new id is written to ``<output_dir>/wandb/run_id.txt`` (by rank zero; the other DDP
    processes, started later in the same run dir, read it). Given as ``id`` to WandbLogger,
    whose ``resume="allow"`` then appends to that run, online and offline alike.
    """
    path = Path(output_dir) / ID_FILE
    if path.is_file() and (resume or rank_zero_only.rank != 0):
        return path.read_text().strip()
    run_id = "".join(secrets.choice(_ID_CHARS) for _ in range(8))
    if rank_zero_only.rank == 0:
        write_text(path, run_id + "\n")
    return run_id
