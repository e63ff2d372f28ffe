"""The ``numpy_ref`` optimiser that follows a torch optimiser's rule and settings."""

from __future__ import annotations

import torch

import numpy_ref
from labkit.errors import ConfigError
from numpy_bridge.twin import NumpyTwin


def numpy_optimizer(optimizer: torch.optim.Optimizer, twin: NumpyTwin) -> numpy_ref.optim.Optimizer:
    """The ``numpy_ref`` optimiser with ``optimizer``'s rule and settings, over the twin's parameters.

    ``torch.optim.Adam`` (without amsgrad) and ``torch.optim.SGD`` (momentum, dampening,
    Nesterov, weight decay) have twins; others raise ``ConfigError``.
    """
    if len(optimizer.param_groups) != 1:
        raise ConfigError("The NumPy twin follows an optimizer with one parameter group.")
    group = optimizer.param_groups[0]
    params = twin.parameters()
    if type(optimizer) is torch.optim.Adam and not group["amsgrad"]:
        return numpy_ref.Adam(
            params,
            lr=group["lr"],
            betas=group["betas"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )
    if type(optimizer) is torch.optim.SGD:
        return numpy_ref.SGD(
            params,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
        )
    raise ConfigError(
        f"The NumPy twin has no optimizer like {type(optimizer).__name__}; it follows "
        f"torch.optim.Adam (amsgrad=False) and torch.optim.SGD (e.g. optimizer=adam)."
    )
