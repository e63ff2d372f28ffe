"""Find a dataset's files on disk, or fetch them (no torch here: the NumPy path uses it too).

Every dataset resolves its files the same way: ``data_dir`` (the writable cache), then
``LABKIT_DATA`` (read-only copies), then a download into ``data_dir``, then one
:class:`DataError` that names every path looked at, why the download failed and how to get the
files. A download that fails leaves nothing of itself behind, so the next run starts clean.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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
        download: ``download(data_dir)`` fetches the files into ``data_dir``; ``None`` disables
            it. Whatever a failing download wrote under the wanted paths' top folders is removed.
        how_to_get: the fix the error suggests, e.g. "set LABKIT_DATA to a folder holding ...".
        download_source: where the download comes from, for the error ("download from <it>").

    Returns:
        One path per ``wanted`` entry, in order, all under the same root: a split's images and
        labels never come from two different copies.

    Raises:
        DataError: nothing complete found and the download disabled, failing, or incomplete.
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
                download(data_dir)
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


def fetch_to_file(
    target: Path,
    write: Callable[[Path], None],
    check: Callable[[Path], object] | None = None,
) -> None:
    """Create ``target`` through ``target.part``: ``write(part)``, ``check(part)``, then rename.

    ``target`` never holds a partial or unchecked file, even when the process is killed mid-way
    (the rename is atomic); on any error the ``.part`` file is removed and the error re-raised.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        write(partial)
        if check is not None:
            check(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def fetch_url_to_file(
    url: str, target: Path, check: Callable[[Path], object] | None = None, timeout_s: float = 20
) -> None:
    """Download ``url`` into ``target`` through ``fetch_to_file`` (checked before it is named)."""

    def write(partial: Path) -> None:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            partial.write_bytes(response.read())

    fetch_to_file(target, write, check=check)


def _alternatives(entry: WantedPath) -> tuple[Path, ...]:
    if isinstance(entry, str | Path):
        return (Path(entry),)
    alternatives = tuple(Path(a) for a in entry)
    if not alternatives:
        raise ValueError("A wanted entry needs at least one path.")
    return alternatives


def _present(path: Path) -> bool:
    # An empty folder is what an interrupted extraction or a bare mkdir leaves: not the data.
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


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
