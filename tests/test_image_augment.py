"""Batch augmentation: every crop is a window of the padded image, every flip a mirror or nothing,
every erasure one rectangle."""

import torch

from datamodules.image_augment import random_crop, random_erase, random_hflip


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


def test_the_padding_takes_one_fill_value_per_channel():
    x = _batch(n=16)
    fill = torch.tensor([-1.0, 0.5, 3.0])
    out = random_crop(x, padding=8, generator=torch.Generator().manual_seed(3), fill=fill)
    # Padding 8 on 8x8 images: most crops hold some border; there every channel is its fill.
    inside = torch.zeros(16, 1, 8, 8, dtype=torch.bool)
    for i in range(16):
        for v in range(3):
            inside[i] |= (out[i, v] != fill[v]).unsqueeze(0)
    border = ~inside
    assert border.any()
    for v in range(3):
        assert torch.all(out[:, v : v + 1][border] == fill[v])


def test_erasing_blanks_one_clipped_rectangle_per_chosen_image():
    x = _batch(n=300, c=2, h=10, w=12) + 100.0  # no pixel equals the fill
    out = random_erase(x, p=0.5, area=(0.1, 0.4), generator=torch.Generator().manual_seed(4))
    erased = out != x
    assert torch.all(out[erased] == 0) and torch.equal(erased[:, 0], erased[:, 1])
    chosen = erased.flatten(1).any(1)
    assert 100 < int(chosen.sum()) < 200
    for mask in erased[chosen, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        assert int(mask.sum()) == len(rows) * len(cols)  # one solid rectangle
        assert rows[-1] - rows[0] + 1 == len(rows) and cols[-1] - cols[0] + 1 == len(cols)
    assert random_erase(x, p=0.0) is x
