"""Find and read the course's ``ulu.csv`` point cloud with NumPy alone (no torch).

The file holds 3-D points (header ``x,y,z``; 8778 rows in the real file), a linear image of
(x, y, colour) points of a logo. ``resolve_dataset_files`` finds it, as every dataset:
``data_dir/iml/ulu.csv`` -> ``LABKIT_DATA/iml/ulu.csv`` -> download from the course repository
into ``data_dir`` -> one :class:`DataError` naming every file looked for and how to get it.
"""

from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path

import numpy as np

from datamodules.dataset_files import fetch_url_to_file, resolve_dataset_files
from labkit.errors import DataError

ULU_RELATIVE_PATH = Path("iml") / "ulu.csv"
ULU_URL = "https://raw.githubusercontent.com/cgadski/iml_2025/main/data/ulu.csv"
ULU_HEADER = ("x", "y", "z")
DOWNLOAD_TIMEOUT_S = 20


def read_ulu_csv(path: str | Path) -> np.ndarray:
    """Points ``(N, 3) float64`` from a CSV with header ``x,y,z``.

    Raises DataError when the header differs, a row does not have three numbers, or the file
    holds no rows.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            header = tuple(name.strip() for name in f.readline().strip().split(","))
            if header != ULU_HEADER:
                raise DataError(
                    f"{path}: header is {','.join(header)!r}, expected {','.join(ULU_HEADER)!r}. "
                    f"{_fix_hint(path)}"
                )
            with warnings.catch_warnings():  # an empty body is reported below, not as a warning
                warnings.simplefilter("ignore", UserWarning)
                points = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"Cannot read {path} as x,y,z rows: {err}. {_fix_hint(path)}") from err
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise DataError(
            f"{path}: expected (N, 3) points with N > 0, got shape {points.shape}. {_fix_hint(path)}"
        )
    if not np.isfinite(points).all():
        raise DataError(f"{path}: contains NaN or infinite values. {_fix_hint(path)}")
    return points


def _fix_hint(path: Path) -> str:
    return f"Delete {path} and run again to re-fetch it, or copy a good one from {ULU_URL}."


def _download(url: str, data_dir: Path) -> None:
    """Fetch ``url`` into ``data_dir/iml/ulu.csv``, checked before it takes its name."""
    fetch_url_to_file(
        url, data_dir / ULU_RELATIVE_PATH, check=read_ulu_csv, timeout_s=DOWNLOAD_TIMEOUT_S
    )


def locate_ulu(
    data_dir: str | Path,
    labkit_data: str | Path | None = None,
    download: bool = True,
    url: str = ULU_URL,
) -> Path:
    """Path of ``ulu.csv``: ``data_dir``, then ``labkit_data``, then a download into ``data_dir``."""
    (path,) = resolve_dataset_files(
        [ULU_RELATIVE_PATH],
        what="ulu.csv",
        data_dir=data_dir,
        labkit_data=labkit_data,
        download=partial(_download, url) if download else None,
        download_source=url,
        how_to_get=(
            f"connect to the internet (it is downloaded into data_dir), or set LABKIT_DATA to a "
            f"folder holding {ULU_RELATIVE_PATH}, or put the file at "
            f"{Path(data_dir).expanduser() / ULU_RELATIVE_PATH}."
        ),
    )
    return path


def load_ulu(
    data_dir: str | Path,
    labkit_data: str | Path | None = None,
    download: bool = True,
    url: str = ULU_URL,
) -> np.ndarray:
    """The ulu point cloud ``(N, 3) float64`` (columns x, y, z), from wherever it is found first."""
    return read_ulu_csv(locate_ulu(data_dir, labkit_data, download, url))
