"""Reconstruction with mean squared error: the net maps an image to a code and back."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from labkit.errors import ConfigError
from lightning_modules.base import OptimizerFactory, TrainingModule


class Autoencoder(TrainingModule):
    """``x: (N, C, H, W) -> reconstruction (N, C, H, W)``, loss ``mean((x̂ - x)²)`` over pixels.

    Labels in the batch are ignored for training (the latent-code plot colours by them). Logs
    ``loss`` per stage (the MSE: ``val/loss``, ``test/loss``) and ``val/loss_best`` by default.
    The net's ``forward_features`` gives the code. ``**options`` (scheduler, monitor, ...): see
    :class:`~lightning_modules.base.TrainingModule`.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        **options: Any,
    ) -> None:
        # A reconstruction has no accuracy: the best model is the lowest validation MSE.
        options = {"monitor": "val/loss", "monitor_mode": "min", **options}
        super().__init__(net, optimizer, ("loss",), **options)
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])

    def loss_and_statistics(self, batch: tuple[torch.Tensor, torch.Tensor]):
        """``x: (N, C, H, W)``; the second element (labels) is not used."""
        x = batch[0]
        reconstruction = self(x)
        if reconstruction.shape != x.shape:
            raise ConfigError(
                f"The autoencoder's net returns {tuple(reconstruction.shape)} for inputs of shape "
                f"{tuple(x.shape)}; its output must have the input's shape (set the decoder's "
                "output size, e.g. model.net.in_features, to the image size)."
            )
        loss = nn.functional.mse_loss(reconstruction, x)
        return loss, {"loss": loss}
