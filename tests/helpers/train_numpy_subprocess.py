"""Run ``train_numpy.py`` in a fresh interpreter as a user would, and report whether torch loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TORCH_MARKER = "TORCH_IN_SYS_MODULES="

# runpy runs the script as __main__; the finally clause reports sys.modules after Hydra returns
# (or exits), so the test sees every module the whole run imported.
_WRAPPER = (
    "import runpy, sys\n"
    "sys.argv = [{script!r}] + sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path({script!r}, run_name='__main__')\n"
    "finally:\n"
    f"    print('{TORCH_MARKER}' + str('torch' in sys.modules), flush=True)\n"
)


def run_script(
    script: str, cwd: Path, *args: str, timeout: int = 300
) -> tuple[subprocess.CompletedProcess, bool]:
    """``(completed process, torch was imported)`` for ``python <script> <args>`` in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in ("LABKIT_DATA", "WANDB_API_KEY")}
    env.update(
        {
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "PYTHONPATH": str(ROOT),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    code = _WRAPPER.format(script=str(ROOT / script))
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    torch_loaded = f"{TORCH_MARKER}True" in result.stdout
    assert TORCH_MARKER in result.stdout, f"wrapper did not report:\n{result.stderr[-3000:]}"
    return result, torch_loaded
