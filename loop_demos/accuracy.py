"""Test accuracy of a classifier in whatever mode (train or eval) it is in."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int | None) -> float:
    """Fraction of ``x: (N, ...)`` whose arg-max output is ``y: (N,)``, ``batch_size`` at a time.

    The mode is the caller's: in train mode a BatchNorm normalises each batch by its own
    statistics (and, no_grad or not, updates its running ones). ``None``: all of ``x`` at once.
    """
    size = len(x) if batch_size is None else batch_size
    correct = sum(
        int((model(xb).argmax(dim=1) == yb).sum())
        for xb, yb in zip(x.split(size), y.split(size), strict=True)
    )
    return correct / len(x)
