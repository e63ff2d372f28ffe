"""Random crop, horizontal flip and erasing of whole image batches, on whatever device they are on.

One gather per batch instead of a transform per image: on a GPU the augmentation of a 512-image
batch is a few kernel launches, so the data never waits on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop(
    x: torch.Tensor,
    padding: int,
    generator: torch.Generator | None = None,
    fill: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """Each image of ``x: (B, C, H, W)`` padded by ``padding`` on every side, then cropped back
    to ``(H, W)`` at an offset drawn uniformly per image (torchvision's ``RandomCrop(H, padding)``
    applied to each image independently).

    ``fill``: the padding's value, a number or one per channel ``(C,)``. On normalised images the
    default zero is the mean colour, so the padding adds no new intensity; Fashion-MNIST pads
    with its background instead (pixel 0 after the standardisation).
    """
    if padding == 0:
        return x
    b, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    if not (isinstance(fill, float | int) and fill == 0):
        # F.pad takes one value for all channels; put the per-channel one into the border.
        border = F.pad(
            torch.zeros(h, w, dtype=torch.bool, device=x.device), (padding,) * 4, value=True
        )
        fill = torch.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(-1, 1, 1)
        padded = torch.where(border, fill, padded)
    dy, dx = torch.randint(0, 2 * padding + 1, (2, b, 1), device=x.device, generator=generator)
    rows = dy + torch.arange(h, device=x.device)  # (B, H): the rows each image keeps
    cols = dx + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    # Advanced indexing on dims 0, 2, 3 puts the channel last: (B, H, W, C).
    crops = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    out = crops.permute(0, 3, 1, 2)
    return out.contiguous(memory_format=_memory_format(x))


def random_hflip(
    x: torch.Tensor, generator: torch.Generator | None = None, p: float = 0.5
) -> torch.Tensor:
    """Each image of ``x: (B, C, H, W)`` mirrored left-right with probability ``p``."""
    flip = torch.rand(len(x), device=x.device, generator=generator) < p
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def random_erase(
    x: torch.Tensor,
    p: float,
    area: tuple[float, float] = (0.02, 0.33),
    aspect: tuple[float, float] = (0.3, 3.3),
    generator: torch.Generator | None = None,
    fill: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """Random erasing (Zhong et al., 2017): with probability ``p`` one rectangle of each image of
    ``x: (B, C, H, W)`` is set to ``fill`` (a number or one per channel ``(C,)``).

    The rectangle covers a fraction of the image drawn uniformly from ``area``, with a height to
    width ratio drawn log-uniformly from ``aspect``, clipped to the image, at a uniform position
    (torchvision's ``RandomErasing`` for a whole batch at once, without its retries).
    """
    if p == 0:
        return x
    b, _, h, w = x.shape
    device = x.device
    u = torch.rand(5, b, device=device, generator=generator)
    frac = area[0] + (area[1] - area[0]) * u[0]
    log_lo, log_hi = torch.log(torch.tensor(aspect, device=device))
    ratio = torch.exp(log_lo + (log_hi - log_lo) * u[1])
    eh = (torch.sqrt(frac * ratio) * h).round().clamp(1, h)
    ew = (torch.sqrt(frac / ratio) * w).round().clamp(1, w)
    top = ((h - eh + 1) * u[2]).floor()
    left = ((w - ew + 1) * u[3]).floor()
    rows = torch.arange(h, device=device)[None, :]
    cols = torch.arange(w, device=device)[None, :]
    inside_rows = (rows >= top[:, None]) & (rows < (top + eh)[:, None])  # (B, H)
    inside_cols = (cols >= left[:, None]) & (cols < (left + ew)[:, None])  # (B, W)
    erase = inside_rows[:, :, None] & inside_cols[:, None, :] & (u[4] < p)[:, None, None]
    fill = torch.as_tensor(fill, dtype=x.dtype, device=device).reshape(-1, 1, 1)
    return torch.where(erase[:, None], fill, x)


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    if (
        x.dim() == 4
        and x.is_contiguous(memory_format=torch.channels_last)
        and not x.is_contiguous()
    ):
        return torch.channels_last
    return torch.contiguous_format
