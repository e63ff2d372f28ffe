"""One run at a time in a run dir: a lock held for the run's lifetime, taken over from a dead holder.

Two runs started into one ``hydra.run.dir`` interleaved their rows in one metrics.csv and
crashed each other's checkpoint writes. The lock is ``flock`` on ``<run dir>/.run.lock``, which
the kernel releases when its process dies however it dies, so a lock left by a killed run never
blocks the next one; the file holds the holder's PID, for the message that refuses a second run.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labkit.errors import LabkitError

LOCK_FILE = ".run.lock"
log = logging.getLogger(__name__)


class RunDirBusyError(LabkitError):
    """Another live process holds the run dir's lock."""


@contextmanager
def run_dir_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the ``with`` block; raise RunDirBusyError if a live run has it.

    Only the process of global rank zero locks: DDP's other processes join its run.
    """
    if global_rank() != 0:
        yield
        return
    path = Path(run_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise RunDirBusyError(
                f"{run_dir} is in use by another run (PID {holder}). Wait for it to end, or give "
                f"this run a dir of its own: hydra.run.dir=<another dir> (a resume must wait)."
            ) from None
        previous = os.pread(fd, 64, 0).decode(errors="replace").strip()
        if previous:  # the last holder died without releasing it (SIGKILL, a power cut)
            log.info("Took over the lock of %s from PID %s, which is gone.", run_dir, previous)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # released: the next holder finds no PID to report
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def global_rank() -> int:
    """This process's rank from the variables launchers set (Lightning reads the same ones).

    Read here rather than from Lightning, which the entry point has not imported yet.
    """
    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key])
    return 0
