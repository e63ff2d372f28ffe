"""Fashion-MNIST with augmented training batches: random shifts, mirror images, erased rectangles."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from datamodules.image_augment import random_crop, random_erase, random_hflip
from datamodules.mnist import FashionMNISTDataModule
from labkit.errors import ConfigError


class AugmentedFashionMNISTDataModule(FashionMNISTDataModule):
    """Fashion-MNIST whose training batches are shifted, mirrored and partly erased on their device.

    Each training image is moved by up to ``max_shift`` pixels in each direction (padded with
    the background, then cropped back to 28x28: a random crop), mirrored left-right with
    probability ``flip_p`` (clothes and shoes look plausible both ways), and with probability
    ``erase_p`` has one rectangle of ``erase_area`` of its pixels set to the background (random
    erasing: the net must not rely on any one part of a garment). Validation and test images stay
    as they are. The random numbers come from torch's global generator, which the run's seed
    sets. Batches: ``x: (B, 1, 28, 28)``, ``y: (B,)`` as Fashion-MNIST's.

    Args:
        max_shift: largest shift in pixels (0 disables it).
        flip_p: probability of a left-right mirror per image (0 disables it).
        erase_p: probability of an erased rectangle per image (0 disables it).
        erase_area: smallest and largest fraction of the image one rectangle covers.
        **kwargs: as :class:`~datamodules.in_memory.InMemoryDataModule`.
    """

    def __init__(
        self,
        max_shift: int = 2,
        flip_p: float = 0.5,
        erase_p: float = 0.0,
        erase_area: Sequence[float] = (0.02, 0.33),
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_shift, int) or isinstance(max_shift, bool) or max_shift < 0:
            raise ConfigError(f"data.max_shift must be an integer >= 0, got {max_shift!r}.")
        for name, p in (("flip_p", flip_p), ("erase_p", erase_p)):
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"data.{name} must be in [0, 1], got {p!r}.")
        erase_area = tuple(erase_area)
        if len(erase_area) != 2 or not 0.0 < erase_area[0] <= erase_area[1] <= 1.0:
            raise ConfigError(
                f"data.erase_area must be [smallest, largest] with 0 < smallest <= largest <= 1, "
                f"got {list(erase_area)!r}."
            )
        self.max_shift, self.flip_p = max_shift, flip_p
        self.erase_p, self.erase_area = erase_p, erase_area

    def augment_batch(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # The background is pixel 0, i.e. -mean/std after the standardisation (one per channel).
        background = [-m / s for m, s in zip(self.pixel_mean, self.pixel_std, strict=True)]
        x = random_crop(x, self.max_shift, fill=background)
        if self.flip_p > 0:
            x = random_hflip(x, p=self.flip_p)
        return random_erase(x, self.erase_p, self.erase_area, fill=background), y
