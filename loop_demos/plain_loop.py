"""Seed 003's training loop in plain torch, with the lines the quiz asks about able to go missing."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def seeded_batches(count: int, batch_size: int, steps: int, seed: int) -> list[torch.Tensor]:
    """``steps`` index tensors ``(batch_size,)`` into ``count`` samples: reshuffled epochs, seeded.

    A list, not a loader, so two variants of a demo train on exactly the same batches.
    """
    generator = torch.Generator().manual_seed(seed)
    order = torch.empty(0, dtype=torch.int64)
    batches = []
    for _ in range(steps):
        if len(order) < batch_size:
            order = torch.cat([order, torch.randperm(count, generator=generator)])
        batches.append(order[:batch_size])
        order = order[batch_size:]
    return batches


def train_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Loss,
    x: torch.Tensor,
    y: torch.Tensor,
    batches: Sequence[torch.Tensor],
    *,
    call_backward: bool = True,
    call_zero_grad: bool = True,
) -> list[float]:
    """One optimizer step per index batch of ``x``, ``y``; returns each step's loss.

    The body is seed 003's loop (Problem 2, lines (d)-(g)); ``call_backward=False`` or
    ``call_zero_grad=False`` drops line (e) or (g), the mistakes that P3D and P3E measure.
    """
    model.train()
    losses = []
    for index in batches:
        loss = loss_fn(model(x[index]), y[index])
        if call_backward:
            loss.backward()
        optimizer.step()
        if call_zero_grad:
            optimizer.zero_grad()
        losses.append(loss.item())
    return losses
