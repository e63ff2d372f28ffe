"""MobileNetV3-small (torchvision's modules) with timm's feature API, for the probe.

The modules are torchvision's own ``mobilenet_v3_small``: ``features.0`` ... ``features.12``, the
pooling and the ``classifier`` head, under the same names. A torchvision state dict, or the
backbone alone (``features.*``), loads into it unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torchvision.models import mobilenet_v3_small

from nets.intermediates import sequential_intermediates


class MobileNetV3Small(nn.Module):
    """``x: (N, 3, H, W) -> logits (N, num_classes)``; torchvision's MobileNetV3-small.

    ``features`` holds 13 blocks: the stem conv (stride 2, hardswish), 11 inverted-residual
    blocks and a 1x1 conv to 576 channels. For 224x224 inputs the blocks' outputs are
    ``features.0``: (N, 16, 112, 112), ``1``: (N, 16, 56, 56), ``2``-``3``: (N, 24, 28, 28),
    ``4``-``6``: (N, 40, 14, 14), ``7``-``8``: (N, 48, 14, 14), ``9``-``11``: (N, 96, 7, 7),
    ``12``: (N, 576, 7, 7); the total stride is 32.

    timm's split: ``forward_features`` gives the last block's maps ``(N, 576, H/32, W/32)``,
    ``forward_head`` pools them and runs the classifier (Linear 576 -> 1024, hardswish,
    dropout, Linear 1024 -> ``num_classes``), ``forward_intermediates`` each block's maps.

    Args:
        num_classes: outputs of the classifier (1000: ImageNet's, as the pretrained weights).
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        # Built whole and taken apart, so a seeded initialisation is torchvision's own.
        net = mobilenet_v3_small(weights=None, num_classes=num_classes)
        self.features = net.features
        self.avgpool = net.avgpool
        self.classifier = net.classifier

    @staticmethod
    def _check(x: torch.Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(
                f"MobileNetV3Small expects RGB images of shape (N, 3, H, W), got "
                f"{tuple(x.shape)}. Repeat a grey channel three times first."
            )

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int] | None = None,
        stop_early: bool = False,
        intermediates_only: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]] | list[torch.Tensor]:
        """The maps ``(N, C_i, h_i, w_i)`` of the blocks ``indices`` picks, timm's way.

        Args:
            x: images ``(N, 3, H, W)``.
            indices: all 13 blocks (``None``), the last ``n`` (an int), or those blocks (a list
                of ``i`` in ``features.i``; negative ones count from the end). In block order.
            stop_early: run no block after the last one asked for; the first value returned is
                then that block's maps (``forward_features(x)`` only if ``features.12`` ran).
            intermediates_only: return only the list of maps.

        Returns:
            ``(forward_features(x), [maps])``, or the list alone.
        """
        self._check(x)
        blocks = range(len(self.features))
        final, maps = sequential_intermediates(self.features, blocks, x, indices, stop_early)
        return maps if intermediates_only else (final, maps)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, 3, H, W) -> (N, 576, H/32, W/32)``: the last block's maps."""
        self._check(x)
        return self.features(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``features: (N, 576, h, w) -> logits (N, num_classes)``: averaged over space, then
        the classifier."""
        return self.classifier(torch.flatten(self.avgpool(features), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
