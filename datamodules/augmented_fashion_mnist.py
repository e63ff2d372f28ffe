"""Fashion-MNIST with light augmentation of the training batches: random shifts and mirror images."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from datamodules.mnist import FashionMNISTDataModule
from labkit.errors import ConfigError


class AugmentedFashionMNISTDataModule(FashionMNISTDataModule):
    """Fashion-MNIST whose training batches are shifted and mirrored on their device.

    Each training image is moved by up to ``max_shift`` pixels in each direction (padded with
    the background, then cropped back to 28x28: a random crop) and mirrored left-right with
    probability ``flip_p`` (clothes and shoes look plausible both ways). Validation and test
    images stay as they are. The random numbers come from torch's global generator, which the
    run's seed sets. Batches: ``x: (B, 1, 28, 28)``, ``y: (B,)`` as Fashion-MNIST's.

    Args:
        max_shift: largest shift in pixels (0 disables it).
        flip_p: probability of a left-right mirror per image (0 disables it).
        **kwargs: as :class:`~datamodules.in_memory.InMemoryDataModule`.
    """

    def __init__(self, max_shift: int = 2, flip_p: float = 0.5, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_shift, int) or isinstance(max_shift, bool) or max_shift < 0:
            raise ConfigError(f"data.max_shift must be an integer >= 0, got {max_shift!r}.")
        if not 0.0 <= flip_p <= 1.0:
            raise ConfigError(f"data.flip_p must be in [0, 1], got {flip_p!r}.")
        self.max_shift, self.flip_p = max_shift, flip_p

    def augment_batch(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.max_shift > 0:
            x = self._shift(x)
        if self.flip_p > 0:
            flip = torch.rand(len(x), device=x.device) < self.flip_p
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        return x, y

    def _shift(self, x: torch.Tensor) -> torch.Tensor:
        """Random crop of the padded batch: one offset per image, one gather for the batch."""
        n, c, h, w = x.shape
        s = self.max_shift
        # The background is pixel 0, i.e. -mean/std after the standardisation (one value per channel).
        padded = torch.cat(
            [
                F.pad(x[:, k : k + 1], (s, s, s, s), value=-self.pixel_mean[k] / self.pixel_std[k])
                for k in range(c)
            ],
            dim=1,
        )
        dy = torch.randint(0, 2 * s + 1, (n,), device=x.device)
        dx = torch.randint(0, 2 * s + 1, (n,), device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        channel = torch.arange(c, device=x.device)[None, :, None, None]
        return padded[batch, channel, rows, cols]
