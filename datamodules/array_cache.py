"""An ``(x, y)`` array pair cached in one ``.npz`` beside the fingerprint of what it was made from.

A cache is reused only when its fingerprint equals the one the caller computes now (seed, sizes,
a digest of the source files, a format version: whatever would change the arrays), and it is
written atomically (``labkit/atomic_files.py``: beside its final name as ``<name>.<pid>.part``,
fsynced, renamed), so a crash never leaves a half-written cache that a later run would trust.
Reading a cache first sweeps away the part files that killed writers left beside it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from datamodules.dataset_files import data_dir_file
from labkit.atomic_files import remove_orphaned_parts

Arrays = tuple[np.ndarray, np.ndarray]


def read_array_cache(path: Path, fingerprint: dict) -> tuple[Arrays | None, str]:
    """``((x, y), "")`` when the cache at ``path`` was made from ``fingerprint``, else ``(None, why)``.

    ``why`` names what differs, for the log line that announces the rebuild. The caller still
    checks the arrays' shapes and dtypes, which only it knows.
    """
    # Also sweeps ``.<name>.<random>.part``, what the mkstemp-based writer before this one left:
    # its random suffix is not the pid of a live process (all but never), so it goes too.
    remove_orphaned_parts(path.parent)
    if not path.is_file():
        return None, "no cache yet"
    try:
        with np.load(path, allow_pickle=False) as f:
            stored = json.loads(str(f["fingerprint"]))
            x, y = f["x"], f["y"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        return None, f"the cache cannot be read ({type(err).__name__}: {err})"
    if not isinstance(stored, dict):
        return None, f"its fingerprint is not a mapping ({stored!r})"
    differing = sorted(
        k for k in fingerprint.keys() | stored.keys() if stored.get(k) != fingerprint.get(k)
    )
    if differing:
        what = ", ".join(f"{k} {stored.get(k)!r} -> {fingerprint.get(k)!r}" for k in differing)
        return None, f"it was built from something else ({what})"
    return (x, y), ""


def write_array_cache(path: Path, x: np.ndarray, y: np.ndarray, fingerprint: dict) -> None:
    """Write ``x``, ``y`` and ``fingerprint`` to ``path`` atomically: the old cache or the new.

    Raises:
        WriteError: the folder is read-only, not ours, or full (the message names the folder and
            ``paths.data_dir``); an older cache at ``path`` is left as it was.
    """
    with data_dir_file(path) as f:
        np.savez(f, x=x, y=y, fingerprint=np.array(json.dumps(fingerprint, sort_keys=True)))
