"""P3D: the seed's loop without ``loss.backward()``: the optimizer has nothing to step with."""

from __future__ import annotations

import copy

import torch
from torch import nn

from loop_demos.accuracy import accuracy
from loop_demos.mnist_tensors import MnistTensors
from loop_demos.plain_loop import seeded_batches, train_steps
from loop_demos.seed_nets import seed_mlp


def _max_abs_change(before: nn.Module, after: nn.Module) -> float:
    return max(
        (a - b).abs().max().item()
        for a, b in zip(after.parameters(), before.parameters(), strict=True)
    )


def missing_backward(
    data: MnistTensors, hidden: int, steps: int, batch_size: int, lr: float, seed: int
) -> dict[str, float]:
    """``steps`` Adam steps of seed 003's MLP with and without line (e), ``loss.backward()``.

    Without it no ``.grad`` is ever filled, and ``optimizer.step()`` skips a parameter whose
    gradient is None: the weights stay bit-identical, the net stays at its initial (chance)
    accuracy. Keys ``p3d/``: ``max_abs_weight_change`` (0.0), ``params_with_grad`` (0),
    ``test_acc_before`` / ``test_acc_after``, and ``max_abs_weight_change_with_backward``, the same
    steps with the line in.
    """
    torch.manual_seed(seed)
    initial = seed_mlp(hidden)
    batches = seeded_batches(len(data.train_x), batch_size, steps, seed)
    metrics = {"p3d/test_acc_before": accuracy(initial, data.test_x, data.test_y, None)}
    for call_backward, key in ((False, ""), (True, "_with_backward")):
        model = copy.deepcopy(initial)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        train_steps(
            model,
            optimizer,
            nn.CrossEntropyLoss(),
            data.train_x,
            data.train_y,
            batches,
            call_backward=call_backward,
        )
        metrics[f"p3d/max_abs_weight_change{key}"] = _max_abs_change(initial, model)
        if not call_backward:
            metrics["p3d/params_with_grad"] = float(
                sum(p.grad is not None for p in model.parameters())
            )
            metrics["p3d/test_acc_after"] = accuracy(model, data.test_x, data.test_y, None)
    return metrics
