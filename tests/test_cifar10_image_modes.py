"""CIFAR-10 image folders: every PNG mode decodes to the 8-bit RGB it shows, or is refused by name."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from datamodules import cifar10_files
from datamodules.array_cache import write_array_cache
from datamodules.cifar10_files import cache_path, load_cifar10_split
from labkit.errors import DataError
from tests.helpers.cifar_writer import tiny_cifar, write_image_folder

SIZE = 32


def _folder_with(tmp_path, image: Image.Image | bytes, name: str = "00000.png"):
    """A 10-image export (one per class) whose airplane image is replaced by ``image``."""
    folder = write_image_folder(tmp_path / "shared", "train", *tiny_cifar(10, seed=0))
    target = folder / "train" / "airplane" / name
    (folder / "train" / "airplane" / "00000.png").unlink()
    if isinstance(image, bytes):
        target.write_bytes(image)
    else:
        image.save(target)
    return folder, target


def _airplane(tmp_path) -> np.ndarray:
    """The decoded airplane image, ``(32, 32, 3) uint8``, as load_cifar10_split returns it."""
    x, y = load_cifar10_split(
        "train",
        data_dir=tmp_path / "cache",
        labkit_data=tmp_path / "shared",
        download=False,
        progress=False,
    )
    (index,) = np.flatnonzero(y == 0)
    return x[index]


def _sixteen_bit_values() -> np.ndarray:
    """``(32, 32) uint16``: the extremes, 8-bit values stored as v * 257, and arbitrary ones."""
    values = np.random.default_rng(0).integers(0, 65536, (SIZE, SIZE)).astype(np.uint16)
    values[0, :4] = [0, 255, 256, 65535]
    values[1, : 256 // 8] = np.arange(0, 256, 8) * 257
    return values


def _grey(values: np.ndarray) -> np.ndarray:
    return np.repeat(values[:, :, None], 3, axis=2).astype(np.uint8)


def test_a_16_bit_png_is_scaled_to_8_bits_not_clipped_to_white(tmp_path):
    values = _sixteen_bit_values()
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    # What convert("RGB") made of it: everything from 255 up white, 99.6% of this image.
    assert (np.asarray(image.convert("RGB")) == 255).mean() > 0.99
    _folder_with(tmp_path, image)
    expected = _grey(values >> 8)
    np.testing.assert_array_equal(_airplane(tmp_path), expected)
    assert expected[0, :4, 0].tolist() == [0, 0, 1, 255]
    assert expected[1, :32, 0].tolist() == list(range(0, 256, 8)), "8-bit values not kept"
    # And so the cache holds them, for the next run.
    with np.load(cache_path(tmp_path / "cache", "train")) as cached:
        assert any(np.array_equal(image, expected) for image in cached["x"])


def test_a_cache_of_the_format_that_clipped_16_bit_images_is_decoded_again(tmp_path):
    values = _sixteen_bit_values()
    folder, _ = _folder_with(tmp_path, Image.fromarray(values))
    # The cache format 2 wrote: the same source, the airplane image white.
    old = {
        "format_version": 2,
        "split": "train",
        "source": str(folder.resolve()),
        "source_files": cifar10_files._source_digest(folder, "train"),
    }
    x, y = np.full((10, SIZE, SIZE, 3), 255, np.uint8), np.arange(10, dtype=np.int64)
    write_array_cache(cache_path(tmp_path / "cache", "train"), x, y, old)
    assert cifar10_files.FORMAT_VERSION > 2
    np.testing.assert_array_equal(_airplane(tmp_path), _grey(values >> 8))


def _png16(values: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG of ``values: (H, W, 3) uint16`` (Pillow cannot write one)."""
    height, width, _ = values.shape
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in values)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)  # 16 bits, colour type RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_48_bit_rgb_png_keeps_the_high_byte_of_each_channel_like_16_bit_grey(tmp_path):
    values = np.random.default_rng(1).integers(0, 65536, (SIZE, SIZE, 3)).astype(np.uint16)
    _folder_with(tmp_path, _png16(values))
    np.testing.assert_array_equal(_airplane(tmp_path), (values >> 8).astype(np.uint8))


def _rgb() -> np.ndarray:
    return np.random.default_rng(2).integers(0, 256, (SIZE, SIZE, 3)).astype(np.uint8)


def _with_alpha(colour: np.ndarray) -> np.ndarray:
    alpha = np.random.default_rng(3).integers(0, 256, (SIZE, SIZE, 1)).astype(np.uint8)
    alpha[0, 0] = 0  # one fully transparent pixel: its colour is kept all the same
    return np.concatenate([colour, alpha], axis=2)


def _palette_image(transparent: bool) -> tuple[Image.Image, np.ndarray]:
    palette = np.random.default_rng(4).integers(0, 256, (256, 3)).astype(np.uint8)
    indices = np.random.default_rng(5).integers(0, 256, (SIZE, SIZE)).astype(np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.tobytes())
    if transparent:
        image.info["transparency"] = int(indices[0, 0])
    return image, palette[indices]


def _mode_cases():
    """``pytest.param(image, expected (32, 32, 3) uint8, id=mode)`` for each mode a PNG opens in."""
    rgb, grey = _rgb(), _rgb()[:, :, 0]
    bits = grey > 127
    cases = {
        "RGB": (Image.fromarray(rgb), rgb),
        "L": (Image.fromarray(grey), _grey(grey)),
        "1": (Image.fromarray(bits), _grey(bits * 255)),
        "LA": (Image.fromarray(_with_alpha(grey[:, :, None]), "LA"), _grey(grey)),
        "RGBA": (Image.fromarray(_with_alpha(rgb), "RGBA"), rgb),
        "P": _palette_image(transparent=False),
        "P-transparent": _palette_image(transparent=True),
    }
    return [pytest.param(image, expected, id=mode) for mode, (image, expected) in cases.items()]


@pytest.mark.parametrize(("image", "expected"), _mode_cases())
def test_grey_palette_and_alpha_pngs_decode_to_the_colours_they_show(tmp_path, image, expected):
    _folder_with(tmp_path, image)
    # Alpha is dropped, not composited: the stored colour, even of a transparent pixel.
    np.testing.assert_array_equal(_airplane(tmp_path), expected)


@pytest.mark.parametrize(
    ("image", "name", "message"),
    [
        (Image.new("F", (SIZE, SIZE), 0.5), "00000.tif", "mode-F image: 32-bit floating-point"),
        (Image.new("I", (SIZE, SIZE), 70000), "00000.tif", "mode-I image: 32-bit integers"),
        (Image.new("CMYK", (SIZE, SIZE), (0, 50, 100, 0)), "00000.jpg", "mode-CMYK image"),
    ],
    ids=["F", "I", "CMYK"],
)
def test_a_mode_without_a_faithful_conversion_is_refused_by_name(tmp_path, image, name, message):
    _, target = _folder_with(tmp_path, image, name)
    with pytest.raises(DataError, match=message) as err:
        _airplane(tmp_path)
    assert str(target) in str(err.value) and "8-bit RGB" in str(err.value)
    assert not cache_path(tmp_path / "cache", "train").exists()


def test_a_mode_i_png_as_older_pillow_opens_16_bit_ones_is_scaled_like_i16():
    # Pillow 13 opens 16-bit grey PNGs as I;16 and cannot write mode I: build what older ones gave.
    values = _sixteen_bit_values()
    image = Image.fromarray(values.astype(np.int32))
    image.format = "PNG"
    assert image.mode == "I"
    np.testing.assert_array_equal(cifar10_files._rgb_pixels(image, "x.png"), _grey(values >> 8))
    image.putpixel((0, 0), 70000)  # not a 16-bit value: refused, not wrapped or clipped
    with pytest.raises(DataError, match=r"x.png holds values 0..70000, outside the 16-bit range"):
        cifar10_files._rgb_pixels(image, "x.png")
