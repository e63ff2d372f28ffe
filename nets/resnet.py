"""ResNet-18 for 32x32 images (seed 002, question 3): CIFAR stem, no max-pool, BasicBlocks [2, 2, 2, 2]."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from nets.activations import make_activation
from nets.input_shape import check_input_shape
from nets.intermediates import take_indices
from nets.positive_sizes import check_positive_sizes

# Weight initialisations by name (seed 002 question 3.7's grid); applied to every conv and
# linear weight, linear biases start at zero, BatchNorm at its identity (weight 1, bias 0).
INITS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_normal": nn.init.kaiming_normal_,
}


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    # Bias-free: the BatchNorm that follows every conv has its own shift.
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False)
    return conv, nn.BatchNorm2d(c_out)


class BasicBlock(nn.Module):
    """conv3x3 (stride s) - BN - act - conv3x3 - BN, plus the shortcut, then act.

    The shortcut is the identity, or a 1x1 conv of stride ``stride`` (padding 0) and a BatchNorm
    where the block changes the size or the channels. ``x: (N, c_in, H, W) -> (N, c_out, H/s, W/s)``.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, activation: str) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(c_in, c_out, 3, stride)
        self.act1 = make_activation(activation)
        self.conv2, self.bn2 = _conv_bn(c_out, c_out, 3, 1)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(*_conv_bn(c_in, c_out, 1, stride))
        self.act2 = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act2(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 with a CIFAR stem: ``x: (N, 3, 32, 32) -> logits (N, num_classes)``.

    Stem: conv3x3 (64, stride 1) - BN - act, no max-pool. Then four stages of two BasicBlocks,
    64-128-256-512 channels, the first block of stages 2-4 with stride 2: feature maps of
    32, 16, 8 and 4 pixels. Global average pooling and one Linear. Every conv is bias-free and
    followed by a BatchNorm before the activation; padding 1 except the 1x1 shortcut convs.
    11,173,962 parameters with 10 classes.

    timm's split: ``forward_features`` gives the pooled ``(N, 512)`` features,
    ``forward_head`` the logits, ``forward_intermediates`` the stem's and each stage's maps.

    Args:
        num_classes: outputs of the last Linear.
        activation: ``relu`` or ``tanh`` (any name of ``nets.activations.ACTIVATIONS``).
        init: ``xavier_uniform``, ``xavier_normal`` or ``kaiming_normal`` (``INITS``).
        in_channels: channels of the input images.
        image_size: height and width of the input images (checked, so a wrong dataset fails
            with a clear message rather than a shape error deep inside).
        width: channels of the stem and the first stage, doubled at each later stage; 64 is
            ResNet-18. Narrower copies (8, 16) keep the structure for tests and CPU benchmarks
            at a fraction of the cost (about ``(width / 64) ** 2``).
    """

    BLOCKS_PER_STAGE = (2, 2, 2, 2)

    def __init__(
        self,
        num_classes: int = 10,
        activation: str = "relu",
        init: str = "kaiming_normal",
        in_channels: int = 3,
        image_size: int = 32,
        width: int = 64,
    ) -> None:
        super().__init__()
        if init not in INITS:
            raise ValueError(f"Unknown init {init!r}; choose one of {sorted(INITS)}.")
        check_positive_sizes("ResNet18", width=width)
        self.in_channels, self.image_size = in_channels, image_size
        channels = tuple(width * 2**i for i in range(4))
        conv, bn = _conv_bn(in_channels, channels[0], 3, 1)
        self.stem = nn.Sequential(conv, bn, make_activation(activation))
        stages, c_in = [], channels[0]
        for i, (c_out, blocks) in enumerate(zip(channels, self.BLOCKS_PER_STAGE, strict=True)):
            stride = 1 if i == 0 else 2
            layers = [
                BasicBlock(c_in if b == 0 else c_out, c_out, stride if b == 0 else 1, activation)
                for b in range(blocks)
            ]
            stages.append(nn.Sequential(*layers))
            c_in = c_out
        self.stages = nn.ModuleList(stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)
        self._init_weights(INITS[init])

    def _init_weights(self, init: Callable[[torch.Tensor], torch.Tensor]) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                init(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _check(self, x: torch.Tensor) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        check_input_shape(
            "ResNet18", x, expected, "Set model.net.in_channels / image_size to the dataset's."
        )

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int] | None = None,
        stop_early: bool = False,
        intermediates_only: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | list[torch.Tensor]:
        """The stem's and each stage's maps, timm's way: ``(forward_features(x), [maps])``.

        The five maps, for 32x32 inputs: stem ``(N, 64, 32, 32)``, stages ``(N, 64, 32, 32)``,
        ``(N, 128, 16, 16)``, ``(N, 256, 8, 8)``, ``(N, 512, 4, 4)``.

        Args:
            x: ``(N, C, H, W)`` images.
            indices: which maps: all (``None``), the last ``n`` (an int), or those positions
                (a list, 0 the stem; negative ones count from the end). In the net's order.
            stop_early: run no stage after the last map asked for; the first value returned is
                then that map (the pooled ``forward_features(x)`` only if stage 4 ran).
            intermediates_only: return only the list of maps.
        """
        self._check(x)
        taken, last = take_indices(1 + len(self.stages), indices)
        x = self.stem(x)
        maps = [x] if 0 in taken else []
        stages = self.stages[:last] if stop_early else self.stages
        for i, stage in enumerate(stages, start=1):
            x = stage(x)
            if i in taken:
                maps.append(x)
        if len(stages) == len(self.stages):
            x = self.pool(x).flatten(1)
        return maps if intermediates_only else (x, maps)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, C, H, W) -> (N, 512)``: the last stage's maps, averaged over space."""
        self._check(x)
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.pool(x).flatten(1)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``features: (N, 512) -> logits (N, num_classes)``."""
        return self.fc(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
