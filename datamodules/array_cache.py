"""An ``(x, y)`` array pair cached in one ``.npz`` beside the fingerprint of what it was made from.

A cache is reused only when its fingerprint equals the one the caller computes now (seed, sizes,
a digest of the source files, a format version: whatever would change the arrays), and it is
written atomically, so a crash never leaves a half-written cache that a later run would trust.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]


def read_array_cache(path: Path, fingerprint: dict) -> tuple[Arrays | None, str]:
    """``((x, y), "")`` when the cache at ``path`` was made from ``fingerprint``, else ``(None, why)``.

    ``why`` names what differs, for the log line that announces the rebuild. The caller still
    checks the arrays' shapes and dtypes, which only it knows.
    """
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
    """Write ``x``, ``y`` and ``fingerprint`` to ``path`` atomically (a temp file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, x=x, y=y, fingerprint=np.array(json.dumps(fingerprint, sort_keys=True)))
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
