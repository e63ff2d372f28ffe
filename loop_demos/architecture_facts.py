"""Seed 002 Q3.1-3.2: what labkit's ResNet-18 is, measured on the net itself.

The parameter count of the full-width net (the seed's architecture, 10 classes) and the shape
of every stage's map for a 32x32 input, from ``forward_intermediates``: the figure's feature-map
sizes (32, 32, 16, 8, 4) and the channels (64 ... 512) doubled at each downsampling stage.
"""

from __future__ import annotations

import torch


def resnet18_facts(width: int = 64) -> dict[str, float | str]:
    """``resnet/params`` and ``resnet/map<i>`` (``"C x H x W"``) for ``ResNet18(width=width)``."""
    from nets.resnet import ResNet18

    net = ResNet18(num_classes=10, width=width).eval()
    facts: dict[str, float | str] = {
        "resnet/width": float(width),
        "resnet/params": float(sum(p.numel() for p in net.parameters())),
        "resnet/conv_layers_with_bias": float(
            sum(1 for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.bias is not None)
        ),
        "resnet/batchnorm_layers": float(
            sum(1 for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
        ),
        "resnet/conv_layers": float(
            sum(1 for m in net.modules() if isinstance(m, torch.nn.Conv2d))
        ),
    }
    with torch.no_grad():
        logits, maps = net.forward_intermediates(torch.zeros(1, 3, 32, 32))
    for i, m in enumerate(maps):
        facts[f"resnet/map{i}"] = " x ".join(str(s) for s in m.shape[1:])
    facts["resnet/logits"] = " x ".join(str(s) for s in net(torch.zeros(1, 3, 32, 32)).shape[1:])
    return facts
