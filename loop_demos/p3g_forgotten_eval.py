"""P3G: testing without ``model.eval()``: a net with Dropout and BatchNorm scored in train mode."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from labkit.errors import ConfigError
from loop_demos.accuracy import accuracy
from loop_demos.mnist_tensors import MnistTensors
from loop_demos.plain_loop import seeded_batches, train_steps
from loop_demos.seed_nets import batchnorm_dropout_mlp


def check_test_batch_sizes(test_batch_sizes: Sequence[int], test_size: int) -> None:
    """ConfigError unless every size is >= 2 and divides ``test_size``."""
    if any(n < 2 or test_size % n for n in test_batch_sizes):
        raise ConfigError(
            f"p3g.test_batch_sizes must each be >= 2 (train-mode BatchNorm needs 2 samples) and "
            f"divide mnist.test_size={test_size} (every size scores the same images, in whole "
            f"batches), got {list(test_batch_sizes)}. E.g. p3g.test_batch_sizes=[{test_size},2]"
        )


def _train_mode_accuracy(
    model: nn.Module, data: MnistTensors, batch_size: int, dropout_only: bool = False
) -> float:
    """Test accuracy with the net (or its Dropout only) in train mode, on a copy of it: in train
    mode the BatchNorm would also overwrite its running statistics with the test batches'."""
    model = copy.deepcopy(model).train()
    if dropout_only:
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm1d):
                layer.eval()
    return accuracy(model, data.test_x, data.test_y, batch_size)


def _running_mean_shift(model: nn.Module, data: MnistTensors, batch_size: int) -> float:
    """How far a train-mode pass over the test set moves any BatchNorm running mean (max abs)."""
    tested = copy.deepcopy(model).train()
    accuracy(tested, data.test_x, data.test_y, batch_size)
    return max(
        (a.running_mean - b.running_mean).abs().max().item()
        for a, b in zip(tested.modules(), model.modules(), strict=True)
        if isinstance(a, nn.BatchNorm1d)
    )


def forgotten_eval(
    data: MnistTensors,
    hidden: int,
    dropout: float,
    steps: int,
    batch_size: int,
    lr: float,
    test_batch_sizes: Sequence[int],
    seed: int,
    plot_to: Path | None = None,
) -> dict[str, float]:
    """Train the BatchNorm + Dropout MLP with the seed's loop, then test it in both modes.

    Keys ``p3g/``: ``train_acc`` (eval mode, training subset); per test batch size n,
    ``eval_mode/batch_<n>/test_acc`` (the same for every n: eval mode treats each sample alone)
    and ``train_mode/batch_<n>/test_acc`` with ``train_mode/batch_<n>/acc_cost``, what the
    forgotten ``model.eval()`` costs (Dropout active, BatchNorm on the statistics of n samples);
    ``dropout_only/test_acc``, Dropout's share (BatchNorm in eval mode), at the largest n; and
    ``running_mean_max_change``, how far one train-mode pass over the test set at the largest n
    moves BatchNorm's running mean.
    """
    check_test_batch_sizes(test_batch_sizes, len(data.test_x))
    torch.manual_seed(seed)
    model = batchnorm_dropout_mlp(hidden, dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batches = seeded_batches(len(data.train_x), batch_size, steps, seed)
    train_steps(model, optimizer, nn.CrossEntropyLoss(), data.train_x, data.train_y, batches)
    model.eval()
    metrics = {"p3g/train_acc": accuracy(model, data.train_x, data.train_y, None)}
    curves: dict[str, list[tuple[float, float]]] = {
        "model.eval()": [],
        "train mode (forgotten)": [],
    }
    for n in sorted(test_batch_sizes):
        eval_acc = accuracy(model, data.test_x, data.test_y, n)
        train_acc = _train_mode_accuracy(model, data, n)
        metrics[f"p3g/eval_mode/batch_{n}/test_acc"] = eval_acc
        metrics[f"p3g/train_mode/batch_{n}/test_acc"] = train_acc
        metrics[f"p3g/train_mode/batch_{n}/acc_cost"] = eval_acc - train_acc
        curves["model.eval()"].append((n, eval_acc))
        curves["train mode (forgotten)"].append((n, train_acc))
    largest = max(test_batch_sizes)
    metrics["p3g/dropout_only/test_acc"] = _train_mode_accuracy(model, data, largest, True)
    metrics["p3g/running_mean_max_change"] = _running_mean_shift(model, data, largest)
    if plot_to is not None:
        from loop_demos.plots import save_accuracy_by_batch

        save_accuracy_by_batch(
            plot_to,
            curves,
            f"P3G: testing without model.eval()\nMLP 784-{hidden}-10 with BatchNorm and "
            f"Dropout({dropout:g}), {len(data.test_x)} test images",
        )
    return metrics
