"""Question (a): the parameters of one named convolution, counted two ways.

A convolutional layer is a linear layer whose weights are shared across positions: every output
pixel is the same affine function (``out_channels`` rows of ``in_channels/groups * k * k`` weights,
plus a bias) of the ``k x k`` patch of the input around it. Written as a matrix on the flattened
image it is a huge, sparse matrix with that small kernel repeated along its diagonals, so its
parameter count depends on the channels and kernel size, never on the image size:
``in * out * kh * kw / groups`` weights, plus ``out`` biases if it has any.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from labkit.errors import ConfigError


@dataclass(frozen=True)
class ConvCount:
    """One conv layer's shape and its parameter count from the module and from the formula."""

    name: str
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    groups: int
    has_bias: bool
    counted: int  # sum of numel() over the module's parameters
    formula: int  # in * out * kh * kw / groups (+ out)

    @property
    def formula_text(self) -> str:
        kh, kw = self.kernel_size
        text = f"{self.in_channels}·{self.out_channels}·{kh}·{kw}/{self.groups}"
        return text + (f" + {self.out_channels}" if self.has_bias else " (no bias)")


def conv_parameter_count(net: nn.Module, name: str) -> ConvCount:
    """Count the parameters of the ``nn.Conv2d`` called ``name`` in ``net`` (``features.0.0``)."""
    module = dict(net.named_modules()).get(name)
    if not isinstance(module, nn.Conv2d):
        convs = [n for n, m in net.named_modules() if isinstance(m, nn.Conv2d)]
        found = "no such module" if module is None else f"a {type(module).__name__}"
        raise ConfigError(
            f"probe.conv_layer={name!r} is {found}, expected a Conv2d of MobileNetV3-small, "
            f"e.g. {', '.join(convs[:4])} ({len(convs)} in all)."
        )
    kh, kw = module.kernel_size
    weights = module.in_channels * module.out_channels * kh * kw // module.groups
    bias = module.out_channels if module.bias is not None else 0
    return ConvCount(
        name=name,
        in_channels=module.in_channels,
        out_channels=module.out_channels,
        kernel_size=(kh, kw),
        stride=tuple(module.stride),
        groups=module.groups,
        has_bias=module.bias is not None,
        counted=sum(p.numel() for p in module.parameters()),
        formula=weights + bias,
    )
