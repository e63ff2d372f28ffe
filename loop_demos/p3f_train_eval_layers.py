"""P3F: Dropout and BatchNorm in ``train()`` vs ``eval()`` mode, on real MNIST pixels."""

from __future__ import annotations

import torch
from torch import nn

from labkit.errors import ConfigError
from loop_demos.mnist_tensors import MnistTensors


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def _dropout(x: torch.Tensor, p: float) -> dict[str, float]:
    """One ``nn.Dropout(p)`` applied twice to the same ``x: (B, 784)`` in each mode."""
    drop = nn.Dropout(p)
    first, second = drop(x), drop(x)
    lit = x != 0
    zeroed = (first == 0) & lit
    metrics = {
        "p3f/dropout_train_max_abs_diff": _max_abs_diff(first, second),
        "p3f/dropout_train_zeroed_fraction": (zeroed.sum() / lit.sum()).item(),
        "p3f/dropout_train_kept_scale": (first[lit & ~zeroed] / x[lit & ~zeroed]).mean().item(),
    }
    drop.eval()
    first, second = drop(x), drop(x)
    metrics["p3f/dropout_eval_max_abs_diff"] = _max_abs_diff(first, second)
    metrics["p3f/dropout_eval_max_abs_change"] = _max_abs_diff(first, x)
    return metrics


def _batchnorm(x: torch.Tensor, warmup: torch.Tensor, batch_size: int) -> dict[str, float]:
    """One sample's ``nn.BatchNorm1d`` output in two batches that differ in its batchmates only.

    Running statistics are first gathered in train mode over ``warmup: (W, B, 784)``.
    """
    norm = nn.BatchNorm1d(x.shape[1])
    for batch in warmup:
        norm(batch)
    batch_a = x[:batch_size]
    batch_b = torch.cat([x[:1], x[batch_size : 2 * batch_size - 1]])
    metrics = {}
    for mode in ("train", "eval"):
        norm.train(mode == "train")
        metrics[f"p3f/batchnorm_{mode}_max_abs_diff"] = _max_abs_diff(
            norm(batch_a)[0], norm(batch_b)[0]
        )
    return metrics


@torch.no_grad()
def dropout_and_batchnorm_modes(
    data: MnistTensors, dropout: float, batch_size: int, warmup_batches: int, seed: int
) -> dict[str, float]:
    """What each layer does to the same inputs in train and eval mode; keys ``p3f/``.

    Dropout, train: two passes of one batch differ (``dropout_train_max_abs_diff`` > 0), about
    ``dropout`` of the lit pixels zeroed (``..._zeroed_fraction``), the rest scaled by
    ``1 / (1 - dropout)`` (``..._kept_scale``); eval: the identity (``dropout_eval_max_abs_diff``
    between two passes and ``..._max_abs_change`` from the input both 0.0).
    BatchNorm, train: the first sample's output changes when the other ``batch_size - 1`` samples
    of its batch are swapped for others (batch statistics); eval: it does not (running ones).
    """
    torch.manual_seed(seed)
    x = data.train_x.flatten(1)
    need = (warmup_batches + 2) * batch_size
    if len(x) < need:
        raise ConfigError(
            f"P3F needs (p3f.warmup_batches + 2) * p3f.batch_size = {need} training images, but "
            f"mnist.train_size is {len(x)}. Lower p3f.warmup_batches or raise mnist.train_size."
        )
    warmup = x[2 * batch_size : need].reshape(warmup_batches, batch_size, -1)
    return {**_dropout(x[:batch_size], dropout), **_batchnorm(x, warmup, batch_size)}
