"""Batch augmentation: every crop is a window of the padded image, every flip a mirror or nothing."""

import torch

from datamodules.image_augment import random_crop, random_hflip


def _batch(n=64, c=3, h=8, w=8):
    return torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(0))


def test_each_crop_is_one_window_of_the_zero_padded_image_and_offsets_vary():
    x = _batch()
    out = random_crop(x, padding=2, generator=torch.Generator().manual_seed(1))
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    offsets = set()
    for image, crop in zip(padded, out, strict=True):
        hits = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(image[:, dy : dy + 8, dx : dx + 8], crop)
        ]
        assert hits, "a crop is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 10  # drawn per image, not once per batch


def test_zero_padding_leaves_the_batch_as_it_is():
    x = _batch()
    assert random_crop(x, padding=0) is x


def test_flip_mirrors_about_half_of_the_images_and_keeps_the_rest():
    x = _batch(n=400)
    out = random_hflip(x, generator=torch.Generator().manual_seed(2))
    mirrored = torch.tensor([torch.equal(o, i.flip(2)) for o, i in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x, strict=True)])
    assert bool((mirrored | kept).all())
    assert 150 < int(mirrored.sum()) < 250


def test_crop_keeps_a_channels_last_batch_channels_last():
    x = _batch().contiguous(memory_format=torch.channels_last)
    out = random_crop(x, padding=4)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert out.shape == x.shape
