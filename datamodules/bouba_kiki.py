"""Find and read a bouba-kiki image file with NumPy alone (no torch).

The course's ``bouba_kiki.npz`` holds one array, ``images: (200, 100, 100) uint8`` with values 0
(the shapes) and 255 (the background), half round blobs and half sharp stars or triangles, in no
order and without labels. Any npz with such an ``images`` array is accepted (other keys are
ignored). A relative path is resolved like every dataset file: ``data_dir`` -> ``LABKIT_DATA`` ->
download from the course repository into ``data_dir`` -> one :class:`DataError` naming every file
looked for; an absolute path (or one that exists as given) is read as it is.
"""

from __future__ import annotations

import zipfile
from functools import partial
from pathlib import Path

import numpy as np

from datamodules.dataset_files import (
    fetch_url_to_file,
    is_permission_error,
    no_read_permission,
    resolve_dataset_files,
)
from labkit.errors import DataError

BOUBA_KIKI_RELATIVE_PATH = Path("iml") / "bouba_kiki.npz"
BOUBA_KIKI_URL = "https://raw.githubusercontent.com/cgadski/iml_2025/main/data/bouba_kiki.npz"
DOWNLOAD_TIMEOUT_S = 20
IMAGES_KEY = "images"


def read_bouba_kiki_npz(path: str | Path) -> np.ndarray:
    """``images: (N, H, W) uint8`` from an npz whose ``images`` array holds only 0 and 255.

    Raises DataError when the file is not an npz, has no ``images`` key, or its array has another
    shape, dtype or values.
    """
    path = Path(path)
    expected = f"an npz with key {IMAGES_KEY!r}: an (N, H, W) array of 0 and 255 (uint8)"
    try:
        with np.load(path, allow_pickle=False) as archive:
            if IMAGES_KEY not in archive.files:
                raise DataError(
                    f"{path} has keys {archive.files}, expected {expected}. {_fix_hint(path)}"
                )
            images = archive[IMAGES_KEY]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        if is_permission_error(err):  # the file may be fine: deleting it would lose a good copy
            raise no_read_permission(path, err) from err
        raise DataError(f"Cannot read {path} as {expected}: {err}. {_fix_hint(path)}") from err
    if images.ndim != 3 or min(images.shape, default=0) == 0:
        raise DataError(
            f"{path}: {IMAGES_KEY!r} has shape {images.shape}, expected (N, H, W) with N, H, W > 0 "
            f"(the course's file: (200, 100, 100)). {_fix_hint(path)}"
        )
    values = np.unique(images)
    if not np.all(np.isin(values, (0, 255))):
        raise DataError(
            f"{path}: {IMAGES_KEY!r} holds values {values[:8].tolist()}..., expected only 0 (shape) "
            f"and 255 (background). {_fix_hint(path)}"
        )
    return images.astype(np.uint8, copy=False)


def _fix_hint(path: Path) -> str:
    return (
        f"Point bouba_kiki.path at a good file, or delete {path} and run again to re-fetch it "
        f"({BOUBA_KIKI_URL})."
    )


def _download(url: str, root: Path) -> None:
    """Fetch ``url`` into ``root/iml/bouba_kiki.npz``, checked before it takes its name."""
    fetch_url_to_file(
        url,
        root / BOUBA_KIKI_RELATIVE_PATH,
        check=read_bouba_kiki_npz,
        timeout_s=DOWNLOAD_TIMEOUT_S,
    )


def locate_bouba_kiki(
    path: str | Path,
    data_dir: str | Path,
    labkit_data: str | Path | None = None,
    download: bool = True,
    url: str = BOUBA_KIKI_URL,
) -> Path:
    """The file to read: ``path`` itself when absolute or present, else resolved under the roots."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.is_file():
        if not path.is_file():
            raise DataError(
                f"bouba_kiki.path={path} does not exist. Fix: give an existing npz, or a path "
                f"relative to paths.data_dir or LABKIT_DATA such as {BOUBA_KIKI_RELATIVE_PATH}."
            )
        return path
    # Only the course's own file can be downloaded; another relative name must already exist.
    fetch = partial(_download, url) if download and path == BOUBA_KIKI_RELATIVE_PATH else None
    (found,) = resolve_dataset_files(
        [path],
        what=f"bouba-kiki images ({path})",
        data_dir=data_dir,
        labkit_data=labkit_data,
        download=fetch,
        download_source=url,
        how_to_get=(
            f"connect to the internet (the course's file is downloaded into paths.data_dir), set "
            f"LABKIT_DATA to a folder holding {BOUBA_KIKI_RELATIVE_PATH}, pass "
            f"bouba_kiki.path=<file.npz>, or use generated images (bouba_kiki.source=generated)."
        ),
    )
    return found


def load_bouba_kiki(
    path: str | Path,
    data_dir: str | Path,
    labkit_data: str | Path | None = None,
    download: bool = True,
    url: str = BOUBA_KIKI_URL,
) -> tuple[np.ndarray, Path]:
    """``(images (N, H, W) uint8 0/255, the file read)`` from wherever ``path`` is found first."""
    found = locate_bouba_kiki(path, data_dir, labkit_data, download, url)
    return read_bouba_kiki_npz(found), found
