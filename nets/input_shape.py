"""One check and one message for a net given inputs of the wrong shape."""

from __future__ import annotations

import torch


def check_input_shape(net: str, x: torch.Tensor, expected: tuple[int, ...], fix: str) -> None:
    """ValueError naming ``net``, the expected ``(N, *expected)`` and what came, when they differ."""
    if tuple(x.shape[1:]) != expected:
        shape = ", ".join(map(str, expected))
        raise ValueError(f"{net} expects input of shape (N, {shape}), got {tuple(x.shape)}. {fix}")
