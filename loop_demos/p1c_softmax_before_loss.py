"""P1C: what an ``nn.Softmax`` before ``nn.CrossEntropyLoss`` does to training, measured."""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn

from loop_demos.accuracy import accuracy
from loop_demos.mnist_tensors import MnistTensors
from loop_demos.plain_loop import seeded_batches, train_steps
from loop_demos.seed_nets import seed_mlp


def _first_gradient_norm(model: nn.Module, loss_fn: nn.Module, x, y) -> float:
    """The L2 norm of all parameters' gradients on one batch, on a copy of ``model``."""
    model = copy.deepcopy(model)
    loss_fn(model(x), y).backward()
    return torch.linalg.vector_norm(
        torch.cat([p.grad.flatten() for p in model.parameters()])
    ).item()


def softmax_before_cross_entropy(
    data: MnistTensors,
    hidden: int,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    plot_to: Path | None = None,
) -> dict[str, float]:
    """Seed 003's MLP trained with Adam as written (``plain``) and with a Softmax appended
    (``softmax``), from the same initial weights on the same batches.

    ``nn.CrossEntropyLoss`` takes logits and applies log-softmax itself; fed probabilities, it
    takes a softmax of a softmax. Its inputs then lie in [0, 1], so the loss cannot go below
    ``p1c/softmax/loss_floor`` (its value at a one-hot probability vector) and its gradients
    shrink. Keys ``p1c/{plain,softmax}/``: ``train_loss`` (the loss each minimises, on the whole
    training subset), ``train_cross_entropy`` (the true cross-entropy of the net's
    probabilities), ``test_acc``, ``first_grad_norm`` (all parameters' gradient norm at step 1).
    """
    torch.manual_seed(seed)
    initial = seed_mlp(hidden)
    loss_fn = nn.CrossEntropyLoss()
    batches = seeded_batches(len(data.train_x), batch_size, steps, seed)
    first = batches[0]
    metrics, curves = {}, {}
    for name, model in (
        ("plain", copy.deepcopy(initial)),
        ("softmax", nn.Sequential(copy.deepcopy(initial), nn.Softmax(dim=1))),
    ):
        prefix = f"p1c/{name}"
        metrics[f"{prefix}/first_grad_norm"] = _first_gradient_norm(
            model, loss_fn, data.train_x[first], data.train_y[first]
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        curves[name] = train_steps(model, optimizer, loss_fn, data.train_x, data.train_y, batches)
        model.eval()
        with torch.no_grad():
            logits = model[0](data.train_x) if name == "softmax" else model(data.train_x)
            metrics[f"{prefix}/train_loss"] = loss_fn(model(data.train_x), data.train_y).item()
            metrics[f"{prefix}/train_cross_entropy"] = loss_fn(logits, data.train_y).item()
        metrics[f"{prefix}/test_acc"] = accuracy(model, data.test_x, data.test_y, None)
    one_hot = nn.functional.one_hot(data.train_y[:1], 10).float()
    metrics["p1c/softmax/loss_floor"] = loss_fn(one_hot, data.train_y[:1]).item()
    if plot_to is not None:
        from loop_demos.plots import save_loss_curves

        save_loss_curves(
            plot_to,
            {
                "logits into CrossEntropyLoss (as the seed)": curves["plain"],
                "Softmax, then CrossEntropyLoss": curves["softmax"],
            },
            f"P1C: a Softmax before CrossEntropyLoss\nMLP 784-{hidden}-10, Adam lr {lr:g}, "
            f"batch {batch_size}: the loss each minimises",
            floor=("lowest loss after a Softmax", metrics["p1c/softmax/loss_floor"]),
        )
    return metrics
