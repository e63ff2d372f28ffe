"""A small CNN: one shared encoder, one linear head per task (MultiMNIST: left and right digit)."""

from collections.abc import Sequence

import torch
from torch import nn

from nets.input_shape import check_input_shape
from nets.intermediates import sequential_intermediates
from nets.positive_sizes import check_positive_sizes

CONV_CHANNELS = (10, 20)
KERNEL_SIZE = 5
POOL = 2


def _encoded_side(image_size: int) -> int:
    """Side of the last feature map: per stage a valid 5x5 conv (-4), then a 2x2 max-pool (//2)."""
    side = image_size
    for _ in CONV_CHANNELS:
        side = (side - (KERNEL_SIZE - 1)) // POOL
    return side


class MultitaskCNN(nn.Module):
    """Shared encoder and ``num_tasks`` linear heads.

    ``x: (N, C, S, S) -> logits (N, num_tasks, num_classes)``.

    Encoder: Conv(C->10, 5x5) + ReLU + MaxPool(2), Conv(10->20, 5x5) + ReLU + MaxPool(2), Flatten,
    Linear(20*s*s -> hidden) + ReLU, where ``s = ((S - 4) // 2 - 4) // 2`` (S=36: s=6, 720 inputs;
    S=28: s=4, 320). The ReLU after the Linear is the class CNN's (``fc1`` is followed by a ReLU);
    without it each head would be a linear map of a linear map, and the hidden layer would only cap
    the heads' rank. Each head is one ``Linear(hidden -> num_classes)``.

    ``forward_features(x) -> (N, hidden)``; ``forward_head(f) -> (N, num_tasks, num_classes)``, the
    heads' logits stacked on dim 1, so ``logits[:, t]`` is task ``t``'s (for MultiMNIST, 0 is the
    top-left digit and 1 the bottom-right one). ``forward_intermediates`` gives the two conv
    blocks' maps (conv, ReLU, max-pool): ``(N, 10, 16, 16)`` and ``(N, 20, 6, 6)`` for S=36.

    Args:
        in_channels: channels of the input images (1 for MNIST).
        image_size: height and width ``S`` of the square inputs (36 for MultiMNIST).
        num_classes: classes per task (all heads share it).
        num_tasks: number of heads.
        hidden: width of the shared features.
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 36,
        num_classes: int = 10,
        num_tasks: int = 2,
        hidden: int = 50,
    ) -> None:
        super().__init__()
        check_positive_sizes(
            "MultitaskCNN",
            in_channels=in_channels,
            image_size=image_size,
            num_classes=num_classes,
            num_tasks=num_tasks,
            hidden=hidden,
        )
        side = _encoded_side(image_size)
        if side < 1:
            raise ValueError(
                f"MultitaskCNN image_size {image_size} is too small: two 5x5 convs each followed "
                f"by a 2x2 max-pool need at least 16 pixels per side."
            )
        c1, c2 = CONV_CHANNELS
        self.input_shape = (in_channels, image_size, image_size)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, KERNEL_SIZE),
            nn.ReLU(),
            nn.MaxPool2d(POOL),
            nn.Conv2d(c1, c2, KERNEL_SIZE),
            nn.ReLU(),
            nn.MaxPool2d(POOL),
            nn.Flatten(),
            nn.Linear(c2 * side * side, hidden),
            nn.ReLU(),
        )
        self.block_ends = (2, 5)  # encoder positions of the two max-pools that end a conv block
        self.heads = nn.ModuleList(nn.Linear(hidden, num_classes) for _ in range(num_tasks))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, C, S, S) -> (N, hidden)``; ValueError naming the expected shape otherwise."""
        check_input_shape(
            "MultitaskCNN", x, self.input_shape, "Set in_channels and image_size to match the data."
        )
        return self.encoder(x)

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int] | None = None,
        stop_early: bool = False,
        intermediates_only: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | list[torch.Tensor]:
        """The conv blocks' maps, timm's way: ``(forward_features(x), [maps])``.

        Args:
            x: ``(N, C, S, S)`` images.
            indices: which blocks' maps: all (``None``), the last ``n`` (an int), or those
                positions (a list; negative ones count from the end). In the net's order.
            stop_early: run no layer after the last block asked for; the first value returned
                is then that block's map, not ``forward_features(x)``.
            intermediates_only: return only the list of maps.
        """
        check_input_shape(
            "MultitaskCNN", x, self.input_shape, "Set in_channels and image_size to match the data."
        )
        final, maps = sequential_intermediates(
            self.encoder, self.block_ends, x, indices, stop_early
        )
        return maps if intermediates_only else (final, maps)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``features: (N, hidden) -> logits (N, num_tasks, num_classes)``."""
        return torch.stack([head(features) for head in self.heads], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
