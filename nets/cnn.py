"""A stack of conv stages (conv 3x3 + ReLU + MaxPool(2) each), then one Linear: seed 004's CNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nets.input_shape import check_input_shape
from nets.intermediates import sequential_intermediates
from nets.positive_sizes import check_positive_sizes

POOL = 2


class ConvStackCNN(nn.Module):
    """``x: (N, C, S, S) -> logits (N, num_classes)``.

    Stage ``i``: ``convs_per_stage[i]`` times Conv(k x k, ``channels[i]``, padding ``k // 2``)
    [+ BatchNorm] + ReLU, then MaxPool(2). The padding keeps each conv's output the size of its
    input ("same" for odd k), so only the pools shrink the map: S = 28 gives 28 -> 14 -> 7 -> 3
    with three stages, and the Linear sees ``channels[-1] * 3 * 3`` features (576 for 16/32/64).
    Without padding the third map would be 1x1 (28 -> 13 -> 5 -> 1): the border pixels would
    count less and the last stage would see no spatial layout at all.

    Seed 004's CNN is the default: three stages of 16, 32, 64 channels, kernel 3, one conv each,
    no normalisation, 29,066 parameters for 1x28x28 inputs and 10 classes. ``batch_norm``,
    ``convs_per_stage``, ``dropout`` (before the Linear) and ``pool_first`` are for the tuned model.

    ``forward_features(x) -> (N, channels[-1] * s * s)`` (the flattened last map);
    ``forward_head(f) -> (N, num_classes)``, the Linear. ``forward_intermediates`` gives one map
    per conv block (a conv, its [BatchNorm and] ReLU, and the stage's MaxPool after its last
    conv), so channel ``k`` of map ``i`` is filter ``k`` of conv ``i``: for the seed's CNN on
    28x28 inputs ``(N, 16, 14, 14)``, ``(N, 32, 7, 7)``, ``(N, 64, 3, 3)``.

    Args:
        in_channels: channels of the input images (1 for Fashion-MNIST).
        image_size: height and width ``S`` of the square inputs.
        num_classes: outputs of the Linear.
        channels: output channels of each stage.
        kernel_size: odd side of every conv's kernel.
        convs_per_stage: convs before each pool: one number for every stage, or one per stage
            (a second conv in the last stage works on 7x7 maps, so it adds depth cheaply).
        batch_norm: BatchNorm after every conv (its conv then has no bias).
        dropout: dropout probability before the Linear (0 disables it).
        pool_first: put each stage's MaxPool right after its last conv, before [BatchNorm and]
            ReLU. Max-pooling commutes with ReLU, and with BatchNorm while its scale is positive,
            so the maps are nearly the same, but the normalisation and ReLU then touch a quarter
            of the values, a large share of a CPU step.
        channels_last: keep the conv weights and the maps in NHWC memory order (the values and
            shapes stay NCHW), which CPU convolutions read faster.
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        num_classes: int = 10,
        channels: Sequence[int] = (16, 32, 64),
        kernel_size: int = 3,
        convs_per_stage: int | Sequence[int] = 1,
        batch_norm: bool = False,
        dropout: float = 0.0,
        pool_first: bool = False,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        check_positive_sizes(
            "ConvStackCNN",
            in_channels=in_channels,
            image_size=image_size,
            num_classes=num_classes,
            kernel_size=kernel_size,
        )
        channels = list(channels)
        if not channels or any(not isinstance(c, int) or c <= 0 for c in channels):
            raise ValueError(f"ConvStackCNN channels must be positive integers, got {channels}.")
        per_stage = (
            [convs_per_stage] * len(channels)
            if isinstance(convs_per_stage, int)
            else list(convs_per_stage)
        )
        if len(per_stage) != len(channels) or any(
            not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in per_stage
        ):
            raise ValueError(
                f"ConvStackCNN convs_per_stage must be a positive integer or one per stage "
                f"({len(channels)} stages), got {convs_per_stage!r}."
            )
        if kernel_size % 2 == 0:
            raise ValueError(
                f"ConvStackCNN kernel_size must be odd (padding k // 2 keeps the size), got {kernel_size}."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"ConvStackCNN dropout must be in [0, 1), got {dropout}.")
        side = image_size // POOL ** len(channels)
        if side < 1:
            raise ValueError(
                f"ConvStackCNN image_size {image_size} is too small for {len(channels)} stages: "
                f"each halves the map, so at least {POOL ** len(channels)} pixels per side."
            )
        layers: list[nn.Module] = []
        fan_in = in_channels
        for width, convs in zip(channels, per_stage, strict=True):
            for conv in range(convs):
                layers.append(
                    nn.Conv2d(
                        fan_in, width, kernel_size, padding=kernel_size // 2, bias=not batch_norm
                    )
                )
                last = conv == convs - 1
                if pool_first and last:
                    layers.append(nn.MaxPool2d(POOL))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU())
                fan_in = width
            if not pool_first:
                layers.append(nn.MaxPool2d(POOL))
        # A conv block ends where the next conv (or the Flatten) starts.
        self.block_ends = tuple(
            i - 1 for i, layer in enumerate(layers) if isinstance(layer, nn.Conv2d) and i > 0
        ) + (len(layers) - 1,)
        layers.append(nn.Flatten())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        self.input_shape = (in_channels, image_size, image_size)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1] * side * side, num_classes)
        self.channels_last = channels_last
        if channels_last:
            self.features.to(memory_format=torch.channels_last)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        check_input_shape(
            "ConvStackCNN", x, self.input_shape, "Set in_channels and image_size to match the data."
        )
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, C, S, S) -> (N, channels[-1] * s * s)``; ValueError naming the expected shape."""
        return self.features(self._prepare(x))

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
        final, maps = sequential_intermediates(
            self.features, self.block_ends, self._prepare(x), indices, stop_early
        )
        return maps if intermediates_only else (final, maps)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``features: (N, channels[-1] * s * s) -> logits (N, num_classes)``."""
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
