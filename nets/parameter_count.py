"""How many parameters a net has: the figure the logs, summary.json and the report show."""

from __future__ import annotations

from torch import nn


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``module`` (shared tensors once); only ``requires_grad``
    ones with ``trainable_only``. Buffers (BatchNorm's running statistics) are not parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
