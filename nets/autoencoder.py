"""An MLP autoencoder: images to a small code and back (seed 003 problem 2: MNIST to 2 numbers)."""

from collections.abc import Sequence

import torch
from torch import nn

from nets.input_shape import check_input_shape
from nets.mlp import MLP


class MLPAutoencoder(nn.Module):
    """``x: (N, *image_shape) -> code (N, code_size) -> reconstruction (N, *image_shape)``.

    Encoder ``MLP(D, hidden_sizes, code_size)``, decoder ``MLP(code_size, reversed(hidden_sizes),
    D)``, with ``D = prod(image_shape)``. Both end in a Linear: the code is unbounded, and the
    reconstruction is in the same space as the input (the data are standardised, so pixels range
    over about [-0.42, 2.82], out of reach of a sigmoid); train it with MSE against ``x``.

    ``forward_features(x)`` (alias ``encode``) gives the code, ``forward_head(code)`` (alias
    ``decode``) the reconstruction, reshaped to ``(N, *image_shape)``.

    Args:
        image_shape: shape of one input, ``(C, H, W)``; ``(1, 28, 28)`` for MNIST.
        hidden_sizes: encoder widths, in order (the decoder mirrors them), e.g. ``[512, 128]``.
        code_size: width of the code (2 to scatter the codes on a plane).
        activation: name from ``nets.activations.ACTIVATIONS``, after every hidden Linear.
    """

    def __init__(
        self,
        image_shape: Sequence[int] = (1, 28, 28),
        hidden_sizes: Sequence[int] = (512, 128),
        code_size: int = 2,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        image_shape = tuple(image_shape)
        if not image_shape or any(not isinstance(s, int) or s <= 0 for s in image_shape):
            raise ValueError(
                f"MLPAutoencoder image_shape must be positive integers such as (1, 28, 28), "
                f"got {image_shape}."
            )
        in_features = 1
        for s in image_shape:
            in_features *= s
        hidden_sizes = list(hidden_sizes)
        self.image_shape = image_shape
        self.encoder = MLP(in_features, hidden_sizes, code_size, activation)
        self.decoder = MLP(code_size, hidden_sizes[::-1], in_features, activation)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, *image_shape) -> code (N, code_size)``."""
        check_input_shape(
            "MLPAutoencoder", x, self.image_shape, "Set image_shape to match the data."
        )
        return self.encoder(x)

    def forward_head(self, code: torch.Tensor) -> torch.Tensor:
        """``code: (N, code_size) -> reconstruction (N, *image_shape)``."""
        return self.decoder(code).view(-1, *self.image_shape)

    encode = forward_features
    decode = forward_head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
