"""Find a dataset's files on disk, or fetch them, and write files under ``data_dir`` (no torch).

Every dataset resolves its files the same way: ``data_dir`` (the writable cache, the config's
``paths.data_dir``), then ``LABKIT_DATA`` (read-only copies), then a download into ``data_dir``,
then one :class:`DataError` that names every path looked at, why the download failed and how to
get the files.

Nothing under ``data_dir`` is ever seen half-written: a file is written beside its final name and
renamed into place after an fsync (``labkit/atomic_files.py``), and a download runs in a staging
folder of its own (``data_dir/.download.<pid>.part/``) whose files are renamed into place only
once the download has finished. What a killed run leaves (``*.<pid>.part`` files, staging
folders) is removed by the next one. A write that fails (read-only folder, no permission, full
disk) ends in one :class:`WriteError` naming the folder and ``paths.data_dir``.
"""

from __future__ import annotations

import errno
import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from labkit.atomic_files import (
    WriteError,
    atomic_open,
    free_space,
    fsync_path,
    part_path,
    remove_orphaned_parts,
)
from labkit.errors import DataError

# One wanted entry: a path relative to a data root, or alternatives of which any one will do
# (e.g. an IDX file and its ``.gz``); the first alternative present is returned.
WantedPath = str | Path | Sequence[str | Path]


def resolve_dataset_files(
    wanted: Sequence[WantedPath],
    *,
    what: str,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    download: Callable[[Path], None] | None,
    how_to_get: str,
    download_source: str | None = None,
) -> tuple[Path, ...]:
    """Paths of every ``wanted`` file or folder, all from the first root that holds them all.

    Args:
        wanted: paths relative to a data root (``"iml/ulu.csv"``, ``"cifar-10-batches-py"``), each
            possibly a tuple of alternatives (``("MNIST/raw/x", "MNIST/raw/x.gz")``). A folder
            counts as present only when it is not empty.
        what: the dataset as the error names it (``"MNIST (train)"``).
        data_dir: writable cache, looked in first and downloaded into.
        labkit_data: optional read-only folder (the ``LABKIT_DATA`` env), looked in second.
        download: ``download(folder)`` fetches the files into ``folder`` laid out as under
            ``data_dir``; ``None`` disables it. It runs in a staging folder
            (:func:`download_through_staging`), so ``data_dir`` gets whole files or none.
        how_to_get: the fix the error suggests, e.g. "set LABKIT_DATA to a folder holding ...".
        download_source: where the download comes from, for the error ("download from <it>").

    Returns:
        One path per ``wanted`` entry, in order, all under the same root: a split's images and
        labels never come from two different copies.

    Raises:
        DataError: nothing complete found and the download disabled, failing, or incomplete; or
            a file or folder looked at that this user may not read.
        WriteError: the download could not be written into ``data_dir``.
    """
    entries = [_alternatives(entry) for entry in wanted]
    if not entries:
        raise ValueError("resolve_dataset_files needs at least one wanted path.")
    data_dir = Path(data_dir).expanduser()
    roots = [data_dir] + ([Path(labkit_data).expanduser()] if labkit_data else [])
    for root in roots:
        found = _find_all(root, entries)
        if found is not None:
            return found
    source = f" from {download_source}" if download_source else ""
    if download is None:
        reason = "download disabled"
    else:
        try:
            with _removing_what_fails(data_dir, entries):
                download_through_staging(data_dir, download)
        except WriteError:
            raise  # data_dir cannot be written: that message, not "not found", says what to do
        except Exception as err:  # offline, HTTP errors, bad checksums: all end in one message
            reason = f"download{source} failed: {err}"
        else:
            found = _find_all(data_dir, entries)
            if found is not None:
                return found
            reason = f"download{source} finished but did not produce these files"
    looked = [_describe(root, alternatives) for root in roots for alternatives in entries]
    raise DataError(
        f"{what} not found. Looked for:\n  " + "\n  ".join(looked) + f"\n{reason}.\n"
        f"Fix: {how_to_get}"
    )


# --- writing under data_dir -----------------------------------------------------------------------

# errnos that say the folder cannot take the file (not that the data or the network is bad).
_WRITE_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT)
_PERMISSION_ERRNOS = (errno.EACCES, errno.EPERM)
STAGING_NAME = ".download"  # a download's staging folder: data_dir/.download.<pid>.part/


def data_dir_write_error(path: Path, err: OSError) -> WriteError:
    """The one message for a file under ``data_dir`` that could not be written: why, what to do.

    Every fix names the config key a user types, ``paths.data_dir=<a writable folder>``.
    """
    folder, reason = path.parent, err.strerror or str(err)
    if err.errno in _PERMISSION_ERRNOS:
        what = f"No permission to write {path} ({reason})."
        todo = f"give this user write access to {folder}, or set paths.data_dir=<a writable folder>"
    elif err.errno == errno.EROFS:
        what = f"Could not write {path}: {folder} is on a read-only filesystem."
        todo = "set paths.data_dir=<a writable folder>"
    elif err.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"Could not write {path}: {reason} ({free_space(folder)} on that filesystem)."
        todo = f"free some space on {folder}'s disk, or set paths.data_dir=<a writable folder> "
        todo += "on a disk with room for the dataset"
    else:
        what = f"Could not write {path}: {reason} ({free_space(folder)} on that filesystem)."
        todo = f"make {folder} writable, or set paths.data_dir=<a writable folder>"
    return WriteError(
        f"{what} Datasets are downloaded and cached under paths.data_dir, so it must be writable "
        f"(read-only copies can stay in LABKIT_DATA). Fix: {todo}. The previous version of the "
        f"file, if any, is intact."
    )


def is_permission_error(err: BaseException) -> bool:
    """Whether ``err`` is a refused access (EACCES/EPERM) rather than a missing or damaged file."""
    return isinstance(err, OSError) and err.errno in _PERMISSION_ERRNOS


def no_read_permission(path: str | Path, err: OSError) -> DataError:
    """The one message for a dataset file this user may not read: nothing says to delete it."""
    return DataError(
        f"No permission to read {path} ({err.strerror or err}); the file itself may be fine, so "
        f"do not delete it. Fix: give this user read access to it (chmod/chown), or point "
        f"paths.data_dir or LABKIT_DATA at a copy it can read."
    )


@contextmanager
def data_dir_file(path: Path) -> Iterator[IO[bytes]]:
    """``atomic_open(path, "wb")`` for a file under ``data_dir``; a failure names paths.data_dir.

    ``path`` appears whole or not at all (written to ``<name>.<pid>.part``, fsynced, renamed).
    An OSError in the ``with`` block (or in the write itself) becomes one :class:`WriteError`.
    """
    try:
        with atomic_open(path, "wb") as f:
            yield f
    except WriteError as err:
        if not isinstance(err.__cause__, OSError):
            raise
        raise data_dir_write_error(path, err.__cause__) from err.__cause__


def fetch_to_file(
    target: Path,
    write: Callable[[IO[bytes]], None],
    check: Callable[[Path], object] | None = None,
) -> None:
    """Create ``target`` through its part file: ``write(file)``, ``check(part path)``, rename.

    ``target`` never holds a partial or unchecked file, even when the process is killed mid-way
    (the rename is atomic, and part files of dead processes are swept away first); on any error
    the part file is removed and the error re-raised. ``check`` should raise a DataError for a bad
    file: an OSError anywhere in here counts as a failed write (:class:`WriteError`).
    """
    remove_orphaned_parts(target.parent)
    with data_dir_file(target) as f:
        write(f)
        if check is not None:
            f.flush()
            check(part_path(target))


def fetch_url_to_file(
    url: str, target: Path, check: Callable[[Path], object] | None = None, timeout_s: float = 20
) -> None:
    """Download ``url`` into ``target`` through ``fetch_to_file`` (checked before it is named)."""
    # Read whole before the file is opened: a network error (an OSError too) must read as a
    # failed download, not as a failed write.
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        data = response.read()
    fetch_to_file(target, lambda f: f.write(data), check=check)


def download_through_staging(data_dir: Path, download: Callable[[Path], None]) -> None:
    """Run ``download(folder)`` in a staging folder inside ``data_dir``, then rename its files in.

    torchvision writes its files in place; run in ``data_dir/.download.<pid>.part/``, a download
    killed half-way leaves only that folder (removed by the next download) and never a truncated
    file under its final name. Once ``download`` returns, every file is fsynced and renamed into
    the same place under ``data_dir`` (a folder absent there moves whole).

    Raises:
        WriteError: ``data_dir`` could not take the files (read-only, no permission, full).
    """
    remove_orphaned_parts(data_dir)  # what a killed download staged
    staging = part_path(data_dir / STAGING_NAME)
    shutil.rmtree(staging, ignore_errors=True)  # what a failed download of this process left
    try:
        try:
            staging.mkdir(parents=True)
            download(staging)
        except OSError as err:
            if err.errno not in _WRITE_ERRNOS:
                raise  # the network or the source, not the folder: "download failed"
            raise data_dir_write_error(Path(err.filename or staging), err) from err
        _move_tree(staging, data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_tree(source: Path, target: Path) -> None:
    """Rename every entry of ``source`` into ``target``, each fsynced before it lands.

    An entry whose name is free in ``target`` (or an empty folder there) moves whole, in one
    rename; into a folder that holds files already (``iml/`` keeps several datasets), file by
    file.
    """
    for entry in sorted(source.iterdir()):
        destination = target / entry.name
        if entry.is_dir() and destination.is_dir() and any(destination.iterdir()):
            _move_tree(entry, destination)
            continue
        try:
            _fsync_tree(entry)
            os.replace(entry, destination)
            fsync_path(target)
        except OSError as err:
            if entry.is_dir() and err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                _move_tree(entry, destination)  # another run's download landed there meanwhile
                continue
            raise data_dir_write_error(destination, err) from err


def _fsync_tree(path: Path) -> None:
    """fsync ``path`` and, for a folder, everything in it: the data before the rename."""
    for item in [*path.rglob("*"), path] if path.is_dir() else [path]:
        fsync_path(item)


# --- looking for files ----------------------------------------------------------------------------


def _alternatives(entry: WantedPath) -> tuple[Path, ...]:
    if isinstance(entry, str | Path):
        return (Path(entry),)
    alternatives = tuple(Path(a) for a in entry)
    if not alternatives:
        raise ValueError("A wanted entry needs at least one path.")
    return alternatives


def _present(path: Path) -> bool:
    # An empty folder is what an interrupted extraction or a bare mkdir leaves: not the data.
    try:
        return path.is_file() or (path.is_dir() and any(path.iterdir()))
    except OSError as err:  # a folder on the way that this user may not list or enter
        if is_permission_error(err):
            raise no_read_permission(path, err) from err
        raise


def _find_all(root: Path, entries: list[tuple[Path, ...]]) -> tuple[Path, ...] | None:
    found = []
    for alternatives in entries:
        path = next((root / a for a in alternatives if _present(root / a)), None)
        if path is None:
            return None
        found.append(path)
    return tuple(found)


def _describe(root: Path, alternatives: tuple[Path, ...]) -> str:
    """``root/x[.gz]`` for a file and its suffixed variants, else ``root/a or root/b``."""
    first, *others = (str(root / a) for a in alternatives)
    if others and all(o.startswith(first) for o in others):
        return first + "".join(f"[{o[len(first) :]}]" for o in others)
    return " or ".join([first, *others])


@contextmanager
def _removing_what_fails(data_dir: Path, entries: list[tuple[Path, ...]]) -> Iterator[None]:
    """On an error, remove every path that appeared under the wanted paths' top folders.

    Only new paths go: a shared folder (``iml/`` holds several datasets) keeps what it held.
    """
    tops = sorted({data_dir / a.parts[0] for alternatives in entries for a in alternatives})
    before = {top: _snapshot(top) for top in tops}
    try:
        yield
    except BaseException:
        for top, old in before.items():
            if old is None:
                if top.is_dir():
                    shutil.rmtree(top, ignore_errors=True)
                else:
                    top.unlink(missing_ok=True)
                continue
            for path in sorted(_snapshot(top) - old, reverse=True):  # deepest first
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        raise


def _snapshot(top: Path) -> set[Path] | None:
    """Every path under ``top`` (and ``top`` itself); ``None`` when ``top`` does not exist."""
    if not top.exists():
        return None
    return {top, *top.rglob("*")} if top.is_dir() else {top}
