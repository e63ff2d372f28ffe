"""labkit's from-scratch NumPy deep-learning library (pure NumPy; torch is never imported here).

Every layer follows the ``Layer`` API (``forward``, ``backward``, ``params``/``grads``,
``state_dict`` in torch's names and layouts) and is checked against torch and by finite
differences in ``tests/numpy_ref``.
"""

from numpy_ref.activations import (
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from numpy_ref.conv import Conv2d
from numpy_ref.dropout import DropoutOne
from numpy_ref.flatten import Flatten
from numpy_ref.layer import Layer
from numpy_ref.linear import Dense, Linear
from numpy_ref.losses import (
    CrossEntropyLoss,
    LogisticLoss,
    MSEReconstructionLoss,
    SoftmaxCrossEntropyLoss,
    cross_entropy,
    logistic_loss,
    mse_reconstruction,
    softmax_cross_entropy,
    stable_logistic_loss,
)
from numpy_ref.optim import SGD, Adam
from numpy_ref.pooling import MaxPool2d
from numpy_ref.sequential import MLP, Sequential

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Conv2d",
    "CrossEntropyLoss",
    "Dense",
    "DropoutOne",
    "Flatten",
    "Layer",
    "Linear",
    "LogisticLoss",
    "MSEReconstructionLoss",
    "MaxPool2d",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropyLoss",
    "Tanh",
    "cross_entropy",
    "get_activation",
    "logistic_loss",
    "mse_reconstruction",
    "relu",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "stable_logistic_loss",
    "tanh",
]
