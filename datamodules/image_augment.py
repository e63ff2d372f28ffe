"""Random crop and horizontal flip of whole image batches, on whatever device the batch is on.

One gather per batch instead of a transform per image: on a GPU the augmentation of a 512-image
batch is a few kernel launches, so the data never waits on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop(
    x: torch.Tensor, padding: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Each image of ``x: (B, C, H, W)`` zero-padded by ``padding`` on every side, then cropped
    back to ``(H, W)`` at an offset drawn uniformly per image (torchvision's
    ``RandomCrop(H, padding)`` applied to each image independently).

    On normalised images zero is the mean colour, so the padding adds no new intensity.
    """
    if padding == 0:
        return x
    b, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    dy, dx = torch.randint(0, 2 * padding + 1, (2, b, 1), device=x.device, generator=generator)
    rows = dy + torch.arange(h, device=x.device)  # (B, H): the rows each image keeps
    cols = dx + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    # Advanced indexing on dims 0, 2, 3 puts the channel last: (B, H, W, C).
    crops = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    out = crops.permute(0, 3, 1, 2)
    return out.contiguous(memory_format=_memory_format(x))


def random_hflip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image of ``x: (B, C, H, W)`` mirrored left-right with probability 1/2."""
    flip = torch.rand(len(x), device=x.device, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    if (
        x.dim() == 4
        and x.is_contiguous(memory_format=torch.channels_last)
        and not x.is_contiguous()
    ):
        return torch.channels_last
    return torch.contiguous_format
