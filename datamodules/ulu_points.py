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

from datamodules.dataset_files import (
    fetch_url_to_file,
    is_permission_error,
    no_read_permission,
    resolve_dataset_files,
)
from labkit.errors import DataError

ULU_RELATIVE_PATH = Path("iml") / "ulu.csv"
ULU_URL = "https://raw.githubusercontent.com/cgadski/iml_2025/main/data/ulu.csv"
ULU_HEADER = ("x", "y", "z")
DOWNLOAD_TIMEOUT_S = 20


def read_ulu_csv(path: str | Path) -> np.ndarray:
    """Points ``(N, 3) float64`` from a CSV with header ``x,y,z``.

    Raises DataError when the header differs, a row does not have three numbers, the file holds
    no rows, or a value is NaN, infinite or an outlier more than ``MAX_RELATIVE_MAGNITUDE`` times
    the median absolute value (the message names its row, column and value).
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
        if is_permission_error(err):  # the file may be fine: nothing to delete or re-fetch
            raise no_read_permission(path, err) from err
        raise DataError(f"Cannot read {path} as x,y,z rows: {err}. {_fix_hint(path)}") from err
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise DataError(
            f"{path}: expected (N, 3) points with N > 0, got shape {points.shape}. {_fix_hint(path)}"
        )
    _check_values(path, points)
    return points


# The largest magnitude a coordinate may have, relative to the file's median absolute value.
# Everything downstream squares the coordinates (covariances, the squared reconstruction loss, the
# GD Hessian 2 E[x xᵀ]), so one value r times the typical size weighs r² against the rest. At
# r = 1e6 that is 1e12: the Hessian's condition number is at least ~1e12 / N (~1e8 for the 8778
# points of ulu.csv), so GD at any stable step size removes under ~1e-8 of the error along the
# other directions per step (it never converges), and every sum of squares that mixes the outlier
# with the other coordinates keeps only ~4 of float64's ~16 digits of them. The real ulu.csv has
# magnitudes 6.6e-05..15.7 with median 2.25 (max / median = 7), far inside this limit.
MAX_RELATIVE_MAGNITUDE = 1e6
# Absolute bound whatever the median: a larger value's square overflows float64 to inf.
MAX_ABSOLUTE_MAGNITUDE = float(np.sqrt(np.finfo(np.float64).max))  # ~1.34e154


def _check_values(path: Path, points: np.ndarray) -> None:
    """Refuse NaN/inf and outliers that no float64 fit could survive (see the limits above).

    The message names the first bad value by its row (1 = the first data row after the header),
    the file's line, its column and the value, and says what is allowed.
    """
    magnitude = np.abs(points)
    finite = np.isfinite(magnitude)
    median = float(np.median(magnitude[finite])) if finite.any() else 0.0
    limit, why = MAX_ABSOLUTE_MAGNITUDE, "the largest whose square is finite in float64"
    if median > 0 and MAX_RELATIVE_MAGNITUDE * median < limit:
        limit = MAX_RELATIVE_MAGNITUDE * median
        why = (
            f"{MAX_RELATIVE_MAGNITUDE:.0e} x the median absolute value {median:.3g}; a larger one "
            "dominates every squared loss and makes the fits meaningless"
        )
    bad = ~finite | (magnitude > limit)
    if not bad.any():
        return
    rows, cols = np.nonzero(bad)
    row, col = int(rows[0]), int(cols[0])
    value = points[row, col]
    kind = "a NaN" if np.isnan(value) else "an infinite value" if np.isinf(value) else "an outlier"
    more = f" ({len(rows) - 1} more values are out of range too)" if len(rows) > 1 else ""
    raise DataError(
        f"{path}: {kind} at row {row + 1} (line {_line_of_row(path, row)}), column "
        f"{ULU_HEADER[col]}: "
        f"{float(value)!r}{more}. Allowed: finite values of magnitude at most {limit:.3g} "
        f"({why}). {_fix_hint(path)}"
    )


def _line_of_row(path: Path, row: int) -> int:
    """The file's line number (1-based) of data row ``row`` (0-based), as ``np.loadtxt`` counts
    rows: after the header, skipping blank lines and ``#`` comments."""
    try:
        with open(path, encoding="utf-8") as f:
            next(f)
            seen = -1
            for number, line in enumerate(f, start=2):
                if line.split("#", 1)[0].strip():
                    seen += 1
                    if seen == row:
                        return number
    except (OSError, UnicodeDecodeError, StopIteration):
        pass
    return row + 2  # the file changed since it was read: its line if it has no blank lines


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
