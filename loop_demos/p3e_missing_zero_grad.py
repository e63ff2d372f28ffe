"""P3E: the seed's loop without ``optimizer.zero_grad()``: each ``.grad`` sums every step's gradient."""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn

from loop_demos.accuracy import accuracy
from loop_demos.mnist_tensors import MnistTensors
from loop_demos.plain_loop import seeded_batches, train_steps
from loop_demos.seed_nets import seed_mlp


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.flatten() for t in tensors])


def _accumulation(
    model: nn.Module, optimizer: torch.optim.Optimizer, data: MnistTensors, batches
) -> tuple[float, float]:
    """After ``len(batches)`` steps without zero_grad: ``(|.grad - Σ g_t| / |Σ g_t|, |.grad| / |g_k|)``.

    ``g_t`` is step t's own batch gradient at that step's weights, taken by ``autograd.grad``
    (which leaves ``.grad`` alone) just before the loop's ``backward()`` adds it to ``.grad``.
    """
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    summed = torch.zeros_like(_flat(params))
    for index in batches:
        loss = loss_fn(model(data.train_x[index]), data.train_y[index])
        fresh = _flat(torch.autograd.grad(loss, params, retain_graph=True))
        summed += fresh
        loss.backward()
        optimizer.step()
    accumulated = _flat(p.grad for p in params)
    norm = torch.linalg.vector_norm
    return (
        (norm(accumulated - summed) / norm(summed)).item(),
        (norm(accumulated) / norm(fresh)).item(),
    )


def missing_zero_grad(
    data: MnistTensors,
    hidden: int,
    steps: int,
    accumulated_steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    plot_to: Path | None = None,
) -> dict[str, float]:
    """Seed 003's MLP and Adam with and without line (g), ``optimizer.zero_grad()``.

    ``backward()`` adds to ``.grad``; only zero_grad empties it. Keys ``p3e/``:
    ``accumulated_rel_diff``, the relative difference between ``.grad`` after
    ``accumulated_steps`` steps without zero_grad and the sum of those steps' batch gradients
    (float32 rounding: they are the same); ``accumulated_over_fresh_norm``, how much longer that
    ``.grad`` is than the last batch's own gradient; then ``{with,without}_zero_grad/``
    ``train_loss`` (whole training subset) and ``test_acc`` after ``steps`` steps from the same
    initial weights on the same batches.
    """
    torch.manual_seed(seed)
    initial = seed_mlp(hidden)
    batches = seeded_batches(len(data.train_x), batch_size, steps, seed)
    model = copy.deepcopy(initial)
    rel_diff, ratio = _accumulation(
        model, torch.optim.Adam(model.parameters(), lr=lr), data, batches[:accumulated_steps]
    )
    metrics = {"p3e/accumulated_rel_diff": rel_diff, "p3e/accumulated_over_fresh_norm": ratio}
    loss_fn = nn.CrossEntropyLoss()
    curves = {}
    for call_zero_grad, name in ((True, "with_zero_grad"), (False, "without_zero_grad")):
        model = copy.deepcopy(initial)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        curves[name] = train_steps(
            model,
            optimizer,
            loss_fn,
            data.train_x,
            data.train_y,
            batches,
            call_zero_grad=call_zero_grad,
        )
        with torch.no_grad():
            metrics[f"p3e/{name}/train_loss"] = loss_fn(model(data.train_x), data.train_y).item()
        metrics[f"p3e/{name}/test_acc"] = accuracy(model, data.test_x, data.test_y, None)
    if plot_to is not None:
        from loop_demos.plots import save_loss_curves

        save_loss_curves(
            plot_to,
            {
                "optimizer.zero_grad() every step": curves["with_zero_grad"],
                "zero_grad() missing: gradients accumulate": curves["without_zero_grad"],
            },
            f"P3E: optimizer.zero_grad() missing\nMLP 784-{hidden}-10, Adam lr {lr:g}, "
            f"batch {batch_size}",
        )
    return metrics
