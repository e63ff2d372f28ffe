"""P1A: the cross-entropy of one given prediction, computed by torch."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def cross_entropy_of_prediction(prediction: Sequence[float], label: int) -> dict[str, float]:
    """``-log ŷ[label]`` of the probabilities ``prediction: (C,)``, as ``nn.NLLLoss`` on ``log ŷ``.

    With the seed's ŷ and label 3 it is ``-ln 0.4 ≈ 0.916`` (natural log, as torch's losses use).
    ``p1a/cross_entropy_log10`` is the same loss with ``log10`` (0.39794...): where the student's
    0.397 comes from, the wrong logarithm; written as -0.397, it has the wrong sign too: ``-1 * log(0.4)`` is
    positive, as a cross-entropy always is (``0 < ŷ <= 1``). ``p1a/cross_entropy_from_logits``
    feeds ``log ŷ`` to ``nn.CrossEntropyLoss`` as logits: its softmax gives ŷ back, the same loss.
    A zero component of ŷ (class 2) costs nothing: only the label's probability enters.
    """
    y_hat = torch.tensor([list(prediction)], dtype=torch.float64)  # (1, C)
    target = torch.tensor([label])
    return {
        "p1a/cross_entropy": nn.NLLLoss()(torch.log(y_hat), target).item(),
        "p1a/cross_entropy_log10": nn.NLLLoss()(torch.log10(y_hat), target).item(),
        "p1a/cross_entropy_from_logits": nn.CrossEntropyLoss()(torch.log(y_hat), target).item(),
        "p1a/prediction_sum": y_hat.sum().item(),
    }
