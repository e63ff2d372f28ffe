"""Read CIFAR-10 into uint8 arrays from torchvision's pickles or an image-folder export (no torch).

Where the files are found (``resolve_dataset_files``: ``data_dir`` -> ``LABKIT_DATA`` -> download),
the first present of, under one root:

- ``cifar-10-batches-py/`` - torchvision's download: ``data_batch_1..5`` and ``test_batch``, each a
  pickled dict with ``data: (N, 3072) uint8`` (channel-major rows) and ``labels`` (N ints);
- ``cifar10/`` - an image-folder export ``{train,test}/<class>/<name>.png|jpg`` (what
  ``../shared/data/cifar10`` holds), or the same as ``cifar10.zip`` / ``cifar10.tar.gz`` / ``.tgz``
  (inside the archive, the ``train/`` and ``test/`` folders may sit under one top folder).

Decoding 60000 PNGs takes a while, so each split is decoded once into
``<data_dir>/cifar10_uint8/<split>.npz``, stamped with a fingerprint of its source (format version,
source path, and the source files' names and modification times: see ``_source_digest``). A cache
whose fingerprint differs is rebuilt. Every source file is checked before anything is written, and
the cache is written beside its final name and renamed (``datamodules/array_cache.py``): a bad file
raises a :class:`DataError` naming it and leaves no cache behind.

Images of any bit depth and colour type come out as the 8-bit RGB they show (``_rgb_pixels``):
16-bit grayscale scaled to 8 bits (``value >> 8``), grayscale and palettes expanded to RGB, alpha
dropped; a mode without one faithful conversion (float, CMYK) is refused by file name.

Images of an image folder are sorted by class (``CIFAR10_CLASSES``), then by file name, and then
put in one fixed shuffled order (``folder_order``): the export does not keep the pickles' order,
and in class order any prefix of a split (``trainer.limit_val_batches``, a quick look at the first
test batches) would hold one or two classes only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from datamodules.array_cache import read_array_cache, write_array_cache
from datamodules.dataset_files import (
    is_permission_error,
    no_read_permission,
    resolve_dataset_files,
)
from labkit.errors import DataError

if TYPE_CHECKING:  # PIL is imported where images are decoded: pickles need none of it
    from PIL import Image

log = logging.getLogger(__name__)

# torchvision's label order (batches.meta's label_names).
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
SPLITS = ("train", "test")
IMAGE_SHAPE = (32, 32, 3)  # (H, W, C), as the arrays are returned
PICKLE_DIR = "cifar-10-batches-py"
PICKLE_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
IMAGE_FOLDER = "cifar10"
ARCHIVES = ("cifar10.zip", "cifar10.tar.gz", "cifar10.tgz")
CACHE_DIR = "cifar10_uint8"  # not "cifar10": that name is the image-folder export's
# Bump when the arrays a source gives change, so old caches are rebuilt.
FORMAT_VERSION = 3  # 2: image folders shuffled (folder_order); 3: 16-bit images scaled, not clipped
FOLDER_ORDER_SEED = 0
DOWNLOAD_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_DOWNLOAD_MD5 = "c58f30108f718f92721af3b95e74349a"
_HOW_TO_GET = (
    "connect to the internet and keep data.download=true (torchvision downloads "
    f"{PICKLE_DIR}/), or set LABKIT_DATA to a folder holding {PICKLE_DIR}/ or an image-folder "
    f"export {IMAGE_FOLDER}/{{train,test}}/<class>/*.png (or {' / '.join(ARCHIVES)})."
)


def load_cifar10_split(
    split: str,
    *,
    data_dir: str | Path,
    labkit_data: str | Path | None,
    download: bool,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 ``split`` as ``x: (N, 32, 32, 3) uint8`` (RGB) and ``y: (N,) int64`` (0..9).

    Args:
        split: ``"train"`` (50000 images in the full dataset) or ``"test"`` (10000).
        data_dir: writable cache: the decoded arrays (and a download) land here.
        labkit_data: optional read-only folder with the files (the ``LABKIT_DATA`` env).
        download: whether missing files may be downloaded (torchvision's pickles) into ``data_dir``.
        progress: show a progress bar while decoding an image folder.

    Raises:
        DataError: no files found, or a source file is not what CIFAR-10 should hold (the message
            names the file and what was expected).
    """
    source = locate_cifar10(data_dir=data_dir, labkit_data=labkit_data, download=download)
    return _load_or_decode(split, source, Path(data_dir).expanduser(), progress)


def locate_cifar10(*, data_dir: str | Path, labkit_data: str | Path | None, download: bool) -> Path:
    """The pickle folder, image folder or archive that CIFAR-10 will be read from.

    Raises:
        DataError: none found and the download disabled or failing.
    """
    (source,) = resolve_dataset_files(
        [(PICKLE_DIR, IMAGE_FOLDER, *ARCHIVES)],
        what="CIFAR-10",
        data_dir=data_dir,
        labkit_data=labkit_data,
        download=_download if download else None,
        how_to_get=_HOW_TO_GET,
        download_source=DOWNLOAD_URL,
    )
    return source


def cache_path(data_dir: str | Path, split: str) -> Path:
    return Path(data_dir).expanduser() / CACHE_DIR / f"{split}.npz"


# --- cache ----------------------------------------------------------------------------------------


def _load_or_decode(
    split: str, source: Path, data_dir: Path, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    if split not in SPLITS:
        raise ValueError(f"Unknown CIFAR-10 split {split!r}; expected one of {SPLITS}.")
    stamp = {
        "format_version": FORMAT_VERSION,
        "split": split,
        "source": str(source.resolve()),
        "source_files": _source_digest(source, split),
    }
    path = cache_path(data_dir, split)
    cached, why = _read_cache(path, stamp)
    if cached is not None:
        return cached
    (log.warning if path.exists() else log.info)(
        "Decoding CIFAR-10 %s from %s into %s: %s.", split, source, path, why
    )
    x, y = _decode(split, source, progress)
    write_array_cache(path, x, y, stamp)
    return x, y


def _read_cache(path: Path, stamp: dict) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    """``((x, y), "")`` when the cache at ``path`` was made from ``stamp``'s source, else ``(None, why)``."""
    cached, why = read_array_cache(path, stamp)
    if cached is None:
        return None, why
    x, y = cached
    if x.dtype != np.uint8 or x.shape[1:] != IMAGE_SHAPE or y.shape != (len(x),):
        return None, f"its arrays have the wrong shape (x {x.shape} {x.dtype}, y {y.shape})"
    return (x, y.astype(np.int64, copy=False)), ""


def _source_digest(source: Path, split: str) -> str:
    """SHA-256 that changes when the files ``split`` is read from change.

    Pickles and archives: their names, sizes and modification times. An image folder: the file
    names in every class folder and the folders' modification times (which change when a file
    is added, removed or renamed), without a stat per image: 50000 stats cost seconds on a busy
    machine, the listing a fraction of one. An image rewritten in place under the same name goes
    unnoticed: delete ``<data_dir>/cifar10_uint8/`` then.
    """
    digest = hashlib.sha256()
    if source.is_dir() and source.name != PICKLE_DIR:
        split_dir = source / split
        with _listing(split_dir):
            folders = (
                sorted(os.scandir(split_dir), key=lambda e: e.name) if split_dir.is_dir() else []
            )
            for folder in folders:
                if folder.is_dir():
                    names = sorted(e.name for e in os.scandir(folder.path))
                    digest.update(f"{folder.name}\0{folder.stat().st_mtime_ns}\0".encode())
                    digest.update("\0".join(names).encode())
        return digest.hexdigest()
    files = [source / n for n in PICKLE_FILES[split]] if source.is_dir() else [source]
    for file in files:
        try:
            st = file.stat()
            digest.update(f"{file.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:  # a missing batch file: reading it will say so
            digest.update(f"{file.name}\0missing\n".encode())
    return digest.hexdigest()


@contextmanager
def _listing(folder: Path) -> Iterator[None]:
    """A folder (``folder`` or one in it) this user may not list: the no-permission DataError."""
    try:
        yield
    except OSError as err:
        if not is_permission_error(err):
            raise
        raise no_read_permission(err.filename or folder, err) from err


# --- decoding -------------------------------------------------------------------------------------


def _decode(split: str, source: Path, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    if source.is_dir() and source.name == PICKLE_DIR:
        return _read_pickles(source, split)
    if source.is_dir():
        members = _folder_members(source, split)
    elif source.name.endswith(".zip"):
        members = _zip_members(source, split)
    else:
        members = _tar_members(source, split)
    x, y = _decode_images(members, split, progress)
    order = folder_order(len(y))
    return x[order], y[order]


def folder_order(n: int) -> np.ndarray:
    """The fixed shuffle of an image folder's ``n`` class-sorted images: ``(n,)`` indices."""
    return np.random.default_rng(FOLDER_ORDER_SEED).permutation(n)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, strings, numbers and NumPy arrays, nothing else (no code runs)."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the pickle")
        return super().find_class(module, name)


def _read_pickles(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for name in PICKLE_FILES[split]:
        x, y = _read_batch(folder / name)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One torchvision batch file as ``(N, 32, 32, 3) uint8`` images and ``(N,) int64`` labels."""
    expected = (
        "a pickled dict with 'data': (N, 3072) uint8 (1024 red, 1024 green, 1024 blue values per "
        "image) and 'labels': N integers in 0..9, as torchvision downloads it"
    )
    if not path.is_file():
        raise DataError(
            f"CIFAR-10 batch file {path} is missing: {path.parent} must hold "
            f"{', '.join(PICKLE_FILES['train'] + PICKLE_FILES['test'])}. Fix: {_HOW_TO_GET}"
        )
    try:
        with open(path, "rb") as f:
            batch = _ArrayUnpickler(f, encoding="latin1").load()
    except Exception as err:  # truncated, not a pickle, unexpected objects: all one message
        if is_permission_error(err):
            raise no_read_permission(path, err) from err
        raise DataError(
            f"{path} cannot be read as a CIFAR-10 batch ({err}); expected {expected}."
        ) from err
    if not isinstance(batch, dict):
        raise DataError(f"{path} holds a {type(batch).__name__}; expected {expected}.")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if (
        not isinstance(data, np.ndarray)
        or data.ndim != 2
        or data.shape[1] != 3072
        or data.dtype != np.uint8
    ):
        got = f"{data.shape} {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path}: 'data' is {got}; expected {expected}.")
    try:
        y = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        y = np.empty(0)
    if y.shape != (len(data),) or (len(y) and (y.min() < 0 or y.max() >= len(CIFAR10_CLASSES))):
        got = f"{len(labels)} labels" if isinstance(labels, list) else repr(type(labels).__name__)
        raise DataError(
            f"{path}: 'labels' ({got}) do not match {len(data)} images with labels in 0..9; "
            f"expected {expected}."
        )
    x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), y


# An image to decode: (where, for messages; class index; a function returning the file's bytes).
Member = tuple[str, int, Callable[[], bytes]]
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _is_hidden(parts: tuple[str, ...]) -> bool:
    # Dot files (.DS_Store) and macOS's __MACOSX/ twins are an archiver's, not the dataset's.
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _check_classes(found: set[str], where: str) -> None:
    missing = [c for c in CIFAR10_CLASSES if c not in found]
    unknown = sorted(found - set(CIFAR10_CLASSES))
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"no class folder {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown folder(s) {', '.join(unknown)}")
        raise DataError(
            f"CIFAR-10 image folder {where}: {'; '.join(problems)}. Expected exactly the 10 class "
            f"folders {', '.join(CIFAR10_CLASSES)}, each holding that class's images."
        )


def _folder_members(root: Path, split: str) -> list[Member]:
    split_dir = root / split
    if not split_dir.is_dir():
        raise DataError(
            f"CIFAR-10 image folder {root} has no {split}/ folder; expected "
            f"{root}/{{train,test}}/<class>/*.png."
        )
    with _listing(split_dir):
        folders = {
            p.name: p for p in split_dir.iterdir() if p.is_dir() and not _is_hidden((p.name,))
        }
        _check_classes(set(folders), str(split_dir))
        members = []
        for label, name in enumerate(CIFAR10_CLASSES):
            for file in sorted(folders[name].iterdir()):
                if _is_hidden((file.name,)):
                    continue
                members.append((str(file), label, file.read_bytes))
    return members


def _archive_class(path: str, split: str) -> tuple[str, str] | None:
    """``(class, name)`` when the archive member ``path`` is ``[top/]split/class/name``."""
    parts = PurePosixPath(path).parts
    if _is_hidden(parts) or len(parts) not in (3, 4) or parts[-3] != split:
        return None
    return parts[-2], parts[-1]


def _sorted_members(
    found: list[tuple[str, str, str, Callable[[], bytes]]], where: str
) -> list[Member]:
    _check_classes({c for c, _, _, _ in found}, where)
    index = {c: i for i, c in enumerate(CIFAR10_CLASSES)}
    found.sort(key=lambda m: (index[m[0]], m[1]))
    return [(label, index[c], read) for c, _, label, read in found]


def _zip_members(archive: Path, split: str) -> list[Member]:
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as err:
        if is_permission_error(err):
            raise no_read_permission(archive, err) from err
        raise DataError(f"{archive} cannot be opened as a zip archive ({err}).") from err
    found = []
    for info in zf.infolist():
        hit = None if info.is_dir() else _archive_class(info.filename, split)
        if hit is not None:
            found.append((*hit, f"{archive}:{info.filename}", lambda i=info: zf.read(i)))
    return _sorted_members(found, f"{archive}:{split}/")


def _tar_members(archive: Path, split: str) -> list[Member]:
    # A .tar.gz has no index: read every wanted file in one pass, then hand out the bytes.
    found = []
    try:
        with tarfile.open(archive, "r:*") as tf:
            for info in tf:
                hit = _archive_class(info.name, split) if info.isfile() else None
                if hit is not None:
                    data = tf.extractfile(info).read()
                    found.append((*hit, f"{archive}:{info.name}", lambda d=data: d))
    except (OSError, tarfile.TarError, EOFError) as err:
        if is_permission_error(err):
            raise no_read_permission(archive, err) from err
        raise DataError(f"{archive} cannot be read as a tar archive ({err}).") from err
    return _sorted_members(found, f"{archive}:{split}/")


def _decode_images(
    members: list[Member], split: str, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    x = np.empty((len(members), *IMAGE_SHAPE), dtype=np.uint8)
    y = np.empty(len(members), dtype=np.int64)
    for i, (where, label, read) in enumerate(_progress(members, split, progress)):
        x[i], y[i] = _decode_image(where, read), label
    if not len(members):
        raise DataError(f"The CIFAR-10 {split} image folder holds no images.")
    return x, y


def _decode_image(where: str, read: Callable[[], bytes]) -> np.ndarray:
    """The image file ``where`` as ``(32, 32, 3) uint8`` RGB; DataError naming it otherwise."""
    from PIL import Image, UnidentifiedImageError  # only needed for image folders

    try:
        with Image.open(io.BytesIO(read())) as image:
            if image.size != IMAGE_SHAPE[:2]:
                raise DataError(
                    f"{where} is {image.size[0]}x{image.size[1]} pixels; CIFAR-10 images are "
                    f"32x32. Remove or replace it."
                )
            return _rgb_pixels(image, where)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        if is_permission_error(err):
            raise no_read_permission(where, err) from err
        raise DataError(
            f"{where} is not a readable image ({err}); expected a 32x32 RGB PNG or JPEG. "
            f"Remove it from the CIFAR-10 folder or replace it."
        ) from err


# Modes that Pillow's convert("RGB") turns into the colours the image shows: grayscale copied to
# all three channels, a palette looked up, 1-bit as 0 and 255, and alpha dropped. Dropped, not
# composited onto a background: an export of CIFAR-10 is opaque (alpha 255 everywhere, where the
# two give the same pixels), and for a partly transparent image any background would be a colour
# the dataset never had, while dropping keeps the colours as stored.
_RGB_FAITHFUL_MODES = ("RGB", "RGBA", "RGBX", "L", "LA", "1", "P", "PA")
_UNFAITHFUL_MODES = {
    "F": "32-bit floating-point values, which have no fixed range to map onto 0..255",
    "I": "32-bit integers, which have no fixed range to map onto 0..255 (only a PNG's are 16-bit)",
    "CMYK": "CMYK, which turns into RGB only through the colour profile it was printed for",
}


def _rgb_pixels(image: Image.Image, where: str) -> np.ndarray:
    """The ``(H, W, 3) uint8`` RGB pixels a PIL ``image`` shows, whatever its bit depth and mode.

    8-bit RGB comes out as stored. 16-bit grayscale (``I;16*``, and ``I`` from a PNG: what older
    Pillow versions open 16-bit PNGs as) keeps its high byte, ``value >> 8``: exact for 8-bit
    values stored as ``value * 257`` (PNG's own scaling), and what Pillow does with 16-bit RGB
    PNGs, which it opens as 8-bit RGB. Raises DataError, naming ``where``, for a mode that has no
    one faithful conversion (``_UNFAITHFUL_MODES``, and any other).
    """
    mode = image.mode
    if mode in _RGB_FAITHFUL_MODES:
        return np.asarray(image.convert("RGB"))
    if mode.startswith("I;16") or (mode == "I" and image.format == "PNG"):
        grey = _high_byte(np.asarray(image), where)
        return np.repeat(grey[:, :, None], 3, axis=2)
    what = _UNFAITHFUL_MODES.get(mode, "a mode with no known faithful conversion to 8-bit RGB")
    raise DataError(
        f"{where} is a mode-{mode} image: {what}. Fix: save it as an 8-bit RGB (or grayscale) "
        f"PNG, or remove it from the CIFAR-10 folder."
    )


def _high_byte(values: np.ndarray, where: str) -> np.ndarray:
    """16-bit ``values`` ``(H, W)`` as ``uint8`` ``values >> 8``; DataError outside 0..65535."""
    if values.size and (values.min() < 0 or values.max() > 0xFFFF):
        raise DataError(
            f"{where} holds values {values.min()}..{values.max()}, outside the 16-bit range "
            f"0..65535 of a 16-bit grayscale PNG. Fix: save it as an 8-bit RGB PNG, or remove it."
        )
    return (values.astype(np.uint32) >> 8).astype(np.uint8)


def _progress(members: list[Member], split: str, enabled: bool) -> Iterator[Member]:
    if not enabled:
        return iter(members)
    from tqdm import tqdm

    return iter(tqdm(members, desc=f"Decoding CIFAR-10 {split}", unit="img", mininterval=1.0))


def _download(root: Path) -> None:
    """torchvision's pickles into ``root/cifar-10-batches-py`` (the archive removed after).

    ``root`` is the staging folder of ``resolve_dataset_files``: the extracted folder is renamed
    into ``data_dir`` whole, so a download killed mid-extraction leaves no partial folder there.
    """
    from torchvision.datasets.utils import download_and_extract_archive

    archive = root / "cifar-10-python.tar.gz"
    try:
        download_and_extract_archive(
            DOWNLOAD_URL, str(root), filename=archive.name, md5=_DOWNLOAD_MD5
        )
    finally:
        archive.unlink(missing_ok=True)
