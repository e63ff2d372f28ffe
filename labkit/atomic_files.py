"""Write a file beside its final name, then rename it into place: a reader sees the old or the new.

A crash, a kill or a full disk in the middle of a write leaves the previous file whole (and a
``<name>.<pid>.part`` that the next run sweeps away with :func:`remove_orphaned_parts`). The data is
fsynced before the rename and the folder after it, so the rename never lands before the bytes.
A failed write raises :class:`WriteError`, one message naming the path and the free space.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from labkit.errors import LabkitError

PART_SUFFIX = ".part"


class WriteError(LabkitError):
    """A file could not be written (full disk, no permission); the previous file is intact."""


def part_path(path: Path) -> Path:
    """Where ``path`` is written before the rename: same folder (so same filesystem), own pid."""
    return path.with_name(f"{path.name}.{os.getpid()}{PART_SUFFIX}")


def free_space(folder: Path) -> str:
    """The free space on ``folder``'s filesystem, e.g. ``"2.9 MB free"`` (or why it is unknown)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError as err:
        return f"free space unknown ({err.strerror})"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if free < 1000 or unit == "TB":
            return f"{free:.3g} {unit} free" if unit != "B" else f"{free} B free"
        free /= 1000
    raise AssertionError("unreachable")


def write_error(path: Path, err: OSError) -> WriteError:
    """The one message for a failed write of ``path``: what failed, the free space, what to do."""
    reason = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "Free some space there (or move the run to another disk), then run it again"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = "Make that folder writable, or choose a writable one"
    else:
        todo = "Fix the cause, then run it again"
    return WriteError(
        f"Could not write {path}: {reason} ({free_space(path.parent)} on that filesystem). "
        f"The previous version of the file, if any, is intact. {todo}; a training run continues "
        f"from its last checkpoint with resume=true.",
    )


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", **open_kwargs: Any) -> Iterator[IO]:
    """``open(path, mode)`` that lands at ``path`` only if the whole ``with`` block succeeds.

    ``mode``: ``"w"`` (text) or ``"wb"``. On any error the partial file is removed and the old
    ``path`` is left as it was; an OSError becomes a :class:`WriteError`.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', got {mode!r}.")
    path = Path(path)
    partial = part_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        fsync_path(path.parent)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise write_error(path, err) from err
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """``Path(path).write_text(text)``, atomically."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    """``Path(path).write_bytes(data)``, atomically."""
    with atomic_open(path, "wb") as f:
        f.write(data)


def write_with(path: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    """Atomically write ``path`` with ``write(binary_file)`` (``np.savez``, ``torch.save``...)."""
    with atomic_open(path, "wb") as f:
        write(f)


def append_whole(path: str | Path, text: str) -> None:
    """Append ``text`` (a CSV row, a log line) in one ``write``, cut back off if it fails.

    For files that grow by records (metrics.csv), where a rewrite and rename per record would
    cost its fsync every time: a kill cannot split one ``write`` call, and a write that fails
    (a full disk) is truncated away, so the file always ends in a whole record.
    """
    path = Path(path)
    data = text.encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as err:
            os.ftruncate(fd, size)
            raise write_error(path, err) from err
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    """fsync one file or folder: a file that cannot be synced raises, a folder is skipped.

    Some filesystems do not open or sync folders; the files' own data are synced all the same.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


def remove_orphaned_parts(folder: str | Path) -> list[Path]:
    """Delete the ``*.<pid>.part`` files (and folders: a staged download) in ``folder`` whose
    writing process is gone; returns them.

    A part whose process still runs (another run building the same cache) is left alone.
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for partial in folder.glob(f"*{PART_SUFFIX}"):
        pid = partial.name[: -len(PART_SUFFIX)].rsplit(".", 1)[-1]
        if pid.isdigit() and process_alive(int(pid)):
            continue
        try:
            if partial.is_dir():
                shutil.rmtree(partial)
            else:
                partial.unlink()
        except OSError:
            continue  # a read-only folder: nothing this run can clean
        removed.append(partial)
    return removed


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs on this machine (this one always does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
