"""Multi-layer perceptron on flattened inputs."""

from collections.abc import Sequence

import torch
from torch import nn

from nets.activations import make_activation


class MLP(nn.Module):
    """Linear -> activation -> ... -> Linear, on ``x: (N, *)`` flattened to ``(N, in_features)``.

    Returns logits ``(N, out_features)`` as ``forward_head(forward_features(x))`` (timm's split:
    the features are the last hidden layer's output, the head is the last Linear). The softmax
    lives in the loss (cross-entropy on logits is the numerically stable form of softmax followed
    by negative log-likelihood).

    Args:
        in_features: size of one flattened input (784 for 28x28 images).
        hidden_sizes: widths of the hidden layers, in order; empty for a linear model.
        out_features: number of outputs (classes).
        activation: name from ``nets.activations.ACTIVATIONS``.
        dropout: dropout probability after every hidden activation (0 disables it).
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        sizes = [in_features, *hidden_sizes, out_features]
        if any(not isinstance(s, int) or s <= 0 for s in sizes):
            raise ValueError(f"MLP layer sizes must be positive integers, got {sizes}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP dropout must be in [0, 1), got {dropout}.")
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
            layers += [nn.Linear(fan_in, fan_out), make_activation(activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        self.in_features = in_features
        self.layers = nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, *) -> (N, hidden_sizes[-1])``: the last hidden layer's output (after its
        activation and dropout); the flattened input itself when there is no hidden layer."""
        x = x.flatten(1)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"MLP expects {self.in_features} features per sample, got input of shape "
                f"{tuple(x.shape)} after flattening."
            )
        *body, _ = self.layers  # a list of modules: slicing the Sequential would build a new one
        for layer in body:
            x = layer(x)
        return x

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``features: (N, hidden_sizes[-1]) -> logits (N, out_features)``: the last Linear."""
        return self.layers[-1](features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
