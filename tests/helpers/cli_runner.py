"""Run train.py in a subprocess as a user would, on tiny IDX data, and read what it left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY_ARGS = (
    "data.val_size=100",
    "data.eval_batch_size=50",
    "data.batch_size=32",
    "callbacks.progress_bar=null",
    "logger=csv",
)


def run_train(
    cwd: Path,
    *args: str,
    labkit_data: Path | None = None,
    timeout: int = 300,
    wandb_env: bool = True,
    pythonpath: bool = True,
) -> subprocess.CompletedProcess:
    """``wandb_env=False`` runs with no WANDB_* variables at all, as on a fresh user machine;
    ``pythonpath=False`` without the checkout on PYTHONPATH, as a user runs it from elsewhere."""
    env = {k: v for k, v in os.environ.items() if k != "LABKIT_DATA" and not k.startswith("WANDB")}
    env.pop("PYTHONPATH", None)
    env.update({"OMP_NUM_THREADS": "1", **({"PYTHONPATH": str(ROOT)} if pythonpath else {})})
    if wandb_env:
        env["WANDB_MODE"] = "offline"
    if labkit_data is not None:
        env["LABKIT_DATA"] = str(labkit_data)
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
    )


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())
