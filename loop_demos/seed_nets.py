"""The nets of the demos: seed 003's MLP as written there, and that MLP with BatchNorm and Dropout."""

from __future__ import annotations

from torch import nn


def seed_mlp(hidden: int) -> nn.Sequential:
    """Seed 003's classifier: ``x: (N, 1, 28, 28)`` -> logits ``(N, 10)``, no softmax at the end."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def batchnorm_dropout_mlp(hidden: int, dropout: float) -> nn.Sequential:
    """The seed's MLP with ``BatchNorm1d`` before and ``Dropout(dropout)`` after its ReLU.

    The two layers whose behaviour ``model.train()`` / ``model.eval()`` switch (P3F, P3G).
    """
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, hidden),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, 10),
    )
