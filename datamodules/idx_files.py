"""Find and read MNIST-family IDX files with NumPy alone (no torch), so the NumPy path stays torch-free.

Files sit in ``<Name>/raw/`` (torchvision's layout), found by ``resolve_dataset_files``:
``data_dir`` -> ``LABKIT_DATA`` -> download through torchvision into ``data_dir`` -> one
:class:`DataError` naming every file looked for.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import partial
from pathlib import Path

import numpy as np

from datamodules.dataset_files import (
    is_permission_error,
    no_read_permission,
    resolve_dataset_files,
)
from labkit.errors import DataError

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# Names as torchvision spells the dataset folders; also the class names in torchvision.datasets.
KNOWN_DATASETS = ("MNIST", "FashionMNIST")
# md5 of each file's IDX content (decompressed), as published with the datasets. A file of the
# official length must match; files of other lengths (tests' tiny copies) are checked only for
# a consistent IDX header.
OFFICIAL_MD5 = {
    ("MNIST", "train-images-idx3-ubyte"): "6bbc9ace898e44ae57da46a324031adb",
    ("MNIST", "train-labels-idx1-ubyte"): "a25bea736e30d166cdddb491f175f624",
    ("MNIST", "t10k-images-idx3-ubyte"): "2646ac647ad5339dbf082846283269ea",
    ("MNIST", "t10k-labels-idx1-ubyte"): "27ae3e4e09519cfbb04c329615203637",
    ("FashionMNIST", "train-images-idx3-ubyte"): "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    ("FashionMNIST", "train-labels-idx1-ubyte"): "9018921c3c673c538a1fc5bad174d6f9",
    ("FashionMNIST", "t10k-images-idx3-ubyte"): "8181f5470baa50b63fa0f6fddb340f0a",
    ("FashionMNIST", "t10k-labels-idx1-ubyte"): "15d484375f8d13e6eb1aabb0c3f46965",
}
OFFICIAL_BYTES = {
    "train-images-idx3-ubyte": 47040016,
    "train-labels-idx1-ubyte": 60008,
    "t10k-images-idx3-ubyte": 7840016,
    "t10k-labels-idx1-ubyte": 10008,
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx_bytes(path: str | Path) -> bytes:
    """The IDX content of a plain or ``.gz`` file; DataError when it cannot be read."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as err:  # gzip raises these on truncated or non-gzip data
        if is_permission_error(err):  # the file may be fine: deleting it would lose a good copy
            raise no_read_permission(path, err) from err
        raise DataError(f"Cannot read {path}: {err}. {_fix_hint(path)}") from err


def parse_idx(raw: bytes, path: str | Path) -> np.ndarray:
    """Decode IDX bytes into an array of the shape its header declares (``path`` for messages).

    Raises DataError when the magic number is wrong or the data are shorter or longer than the
    header says.
    """
    path = Path(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number). {_fix_hint(path)}")
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header. {_fix_hint(path)}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{path} has {len(raw)} bytes but its header declares {expected} (shape {shape}): "
            f"the file is truncated or corrupt. {_fix_hint(path)}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (plain or ``.gz``) into an array of the shape its header declares."""
    return parse_idx(read_idx_bytes(path), path)


def check_official_md5(name: str, stem: str, raw: bytes, path: str | Path) -> None:
    """DataError when a file of the official length is not the official content (a bad copy)."""
    expected = OFFICIAL_MD5.get((name, stem))
    if expected is None or len(raw) != OFFICIAL_BYTES.get(stem):
        return
    found = hashlib.md5(raw).hexdigest()
    if found != expected:
        raise DataError(
            f"{path} has md5 {found} but the published {name} {stem} has {expected}: the file is "
            f"corrupt or not {name}. {_fix_hint(Path(path))}"
        )


def _fix_hint(path: Path) -> str:
    return f"Delete {path} and run again to re-fetch it, or copy a good one from its source."


def _download(name: str, root: Path) -> None:
    """Fetch both splits through torchvision into ``root/<name>/raw/``.

    ``root`` is the staging folder of ``resolve_dataset_files``, which renames the files into
    ``data_dir`` once both splits are in.
    """
    import torchvision.datasets  # imported here: only the download fallback needs torch

    for train in (True, False):
        getattr(torchvision.datasets, name)(root=str(root), train=train, download=True)


def locate_split(
    name: str,
    split: str,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    download: bool = True,
) -> tuple[Path, Path]:
    """Return (images_path, labels_path) of ``split`` for dataset ``name``, fetching it if allowed."""
    if name not in KNOWN_DATASETS:
        raise DataError(f"Unknown IDX dataset {name!r}; expected one of {KNOWN_DATASETS}.")
    if split not in SPLIT_FILES:
        raise DataError(f"Unknown split {split!r}; expected one of {tuple(SPLIT_FILES)}.")
    raw = Path(name) / "raw"
    images, labels = resolve_dataset_files(
        [(raw / stem, raw / f"{stem}.gz") for stem in SPLIT_FILES[split]],
        what=f"{name} ({split})",
        data_dir=data_dir,
        labkit_data=labkit_data,
        download=partial(_download, name) if download else None,
        how_to_get=(
            f"connect to the internet (torchvision downloads it into paths.data_dir), or set "
            f"LABKIT_DATA to a folder holding {name}/raw/ as torchvision lays it out, "
            f"or set paths.data_dir=<that folder>."
        ),
    )
    return images, labels


def load_split(
    name: str,
    split: str,
    data_dir: str | Path,
    labkit_data: str | Path | None = None,
    download: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 28, 28) uint8`` and labels ``(N,) int64`` of one split, checked for consistency."""
    paths = locate_split(name, split, data_dir, labkit_data, download)
    arrays = []
    for stem, path in zip(SPLIT_FILES[split], paths, strict=True):
        raw = read_idx_bytes(path)
        check_official_md5(name, stem, raw, path)
        arrays.append(parse_idx(raw, path))
    (images_path, labels_path), (images, labels) = paths, arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{images_path} {images.shape} and {labels_path} {labels.shape} do not pair up as "
            f"(N, H, W) images and (N,) labels. {_fix_hint(images_path)}"
        )
    return images, labels.astype(np.int64)
