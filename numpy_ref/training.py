"""One training step and the evaluation of a NumPy classifier (the library part of a training loop).

One step: ``z = model(x_b)``, ``L = softmax_cross_entropy(z, y_b)``, ``∂L/∂z = (softmax(z) -
onehot(y_b)) / B``, ``model.backward(∂L/∂z)`` fills the gradients, the optimiser updates the
parameters in place. The loops around it (epochs, logging) belong to the caller:
``numpy_experiments/classifier_training.py`` and ``callbacks/numpy_twin_training.py``.
"""

from __future__ import annotations

import numpy as np

from numpy_ref.layer import Layer
from numpy_ref.losses import softmax_cross_entropy, softmax_cross_entropy_grad
from numpy_ref.optim import Optimizer


def train_step(
    model: Layer, optimizer: Optimizer, x: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """One optimiser step on the batch ``x: (B, D)``, ``y: (B,)``; returns (loss, logits ``(B, K)``)."""
    logits = model.forward(x)
    loss = softmax_cross_entropy(logits, y)
    model.backward(softmax_cross_entropy_grad(logits, y))
    optimizer.step()
    return loss, logits


def evaluate(model: Layer, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``x: (N, D)``, ``y: (N,)``, in eval mode."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        logits = model.forward(x[start : start + batch_size])
        labels = y[start : start + batch_size]
        loss_sum += softmax_cross_entropy(logits, labels) * len(labels)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == labels))
    model.train()
    return loss_sum / len(x), correct / len(x)


def predict(model: Layer, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Predicted class ``(N,)`` for ``x: (N, D)``, in eval mode."""
    model.eval()
    predictions = [
        model.forward(x[s : s + batch_size]).argmax(axis=1) for s in range(0, len(x), batch_size)
    ]
    model.train()
    return np.concatenate(predictions)
