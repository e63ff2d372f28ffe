"""PermutedFashionMNIST: Fashion-MNIST with one fixed, seeded shuffle of every image's pixels."""

from __future__ import annotations

import torch

from datamodules.mnist import FashionMNISTDataModule
from labkit.errors import ConfigError


class PermutedFashionMNISTDataModule(FashionMNISTDataModule):
    """Fashion-MNIST whose pixels are reordered by one permutation, the same for every image.

    The permutation is drawn from ``permutation_seed`` alone (a fresh ``torch.Generator``), so
    every run and every DDP process gets the same one, whatever the run's seed. It is applied
    last, after the standardisation (seed 004: "this transform should be the last one"), to all
    three splits; batches keep the shape ``x: (B, 1, 28, 28)``. A model that sees pixels as an
    unordered vector (an MLP) loses nothing; one that relies on neighbouring pixels (a CNN) does.

    ``permutation``: the ``(num_features,)`` index tensor (``permuted.flatten(1) ==
    original.flatten(1)[:, permutation]``); ``inverse_permutation`` undoes it.

    Args:
        permutation_seed: seed of the permutation.
        num_features: values per image the permutation is for (784 = 1x28x28); null takes the
            images' size. A size that does not fit the images is refused with a ConfigError.
        **kwargs: as :class:`~datamodules.in_memory.InMemoryDataModule`.
    """

    # dataset_name stays FashionMNIST's: it names the files read and the data in messages.

    def __init__(self, permutation_seed: int, num_features: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if num_features is not None and (
            not isinstance(num_features, int) or isinstance(num_features, bool) or num_features <= 0
        ):
            raise ConfigError(
                f"data.num_features must be a positive integer (values per image) or null, "
                f"got {num_features!r}."
            )
        self.permutation_seed, self.num_features = permutation_seed, num_features
        self.permutation: torch.Tensor | None = None

    @property
    def inverse_permutation(self) -> torch.Tensor:
        if self.permutation is None:
            raise RuntimeError("The permutation is drawn in setup().")
        return torch.argsort(self.permutation)

    def setup(self, stage: str | None = None) -> None:
        if self.permutation is not None:
            return
        super().setup(stage)
        x = self.splits["train"][0]
        size = x[0].numel()
        if self.num_features is not None and self.num_features != size:
            shape = "x".join(map(str, x.shape[1:]))
            raise ConfigError(
                f"A permutation of data.num_features={self.num_features} pixels does not fit "
                f"{shape} images ({size} values each). Set data.num_features={size} or null."
            )
        generator = torch.Generator().manual_seed(self.permutation_seed)
        self.permutation = torch.randperm(size, generator=generator)
        self.splits = {
            split: (images.flatten(1)[:, self.permutation].reshape(images.shape), labels)
            for split, (images, labels) in self.splits.items()
        }
