"""P1B: the gradients of MSE and cross-entropy at a confident prediction, by autograd."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

CLASSES = 10


def prediction_vector(
    true_prob: float, wrong_prob: float | None, label: int, wrong_class: int
) -> torch.Tensor:
    """ŷ ``(C,)`` float64 with ``true_prob`` at ``label`` and ``wrong_prob`` at ``wrong_class``.

    The other classes share what is left equally; ``wrong_prob=None``: ``wrong_class`` is one of
    them.
    """
    y_hat = torch.full((CLASSES,), (1 - true_prob) / (CLASSES - 1), dtype=torch.float64)
    if wrong_prob is not None:
        y_hat[:] = (1 - true_prob - wrong_prob) / (CLASSES - 2)
        y_hat[wrong_class] = wrong_prob
    y_hat[label] = true_prob
    return y_hat


def _gradients(y_hat: torch.Tensor, label: int) -> dict[str, torch.Tensor]:
    """Each loss and its gradients ``(C,)`` with respect to ŷ and to the logits ``z = log ŷ``.

    MSE is ``nn.MSELoss`` (the mean over the C components) against the one-hot label; the logits
    reach ŷ through a softmax (``softmax(log ŷ) = ŷ``), as in a net that ends in one.
    """
    one_hot = nn.functional.one_hot(torch.tensor(label), CLASSES).to(y_hat.dtype)
    found = {}
    for name, loss_of_probs in (
        ("mse", lambda p: nn.MSELoss()(p, one_hot)),
        ("ce", lambda p: nn.NLLLoss()(torch.log(p)[None], torch.tensor([label]))),
    ):
        probs = y_hat.clone().requires_grad_(True)
        loss = loss_of_probs(probs)
        found[f"{name}_loss"] = loss.detach()
        found[f"{name}_prob"] = torch.autograd.grad(loss, probs)[0]
        logits = torch.log(y_hat).requires_grad_(True)
        found[f"{name}_logit"] = torch.autograd.grad(
            loss_of_probs(torch.softmax(logits, dim=0)), logits
        )[0]
    return found


def loss_gradients(
    cases: Mapping[str, tuple[float, float | None]],
    label: int,
    wrong_class: int,
    sweep_points: int,
    plot_to: Path | None = None,
) -> dict[str, float]:
    """``p1b/<case>/...``: both losses and their gradients at each case's ŷ.

    ``cases``: ``{name: (ŷ[label], ŷ[wrong_class] or None)}`` (see :func:`prediction_vector`).
    Keys per case: ``mse``, ``ce`` (the losses); ``{mse,ce}_grad_{prob,logit}_{true,wrong}``
    (the gradient's component at ``label`` / ``wrong_class``, with respect to ŷ or the logits);
    ``ce_over_mse_logit_true``, the ratio of their magnitudes at the label's logit.
    ``plot_to``: where to draw both gradients at the label against ŷ[label] from near 0 to near
    1, the other classes sharing the rest (``sweep_points`` values).
    """
    metrics = {}
    for case, (true_prob, wrong_prob) in cases.items():
        grads = _gradients(prediction_vector(true_prob, wrong_prob, label, wrong_class), label)
        prefix = f"p1b/{case}"
        metrics[f"{prefix}/mse"] = grads["mse_loss"].item()
        metrics[f"{prefix}/ce"] = grads["ce_loss"].item()
        for name in ("mse", "ce"):
            for wrt in ("prob", "logit"):
                for which, k in (("true", label), ("wrong", wrong_class)):
                    metrics[f"{prefix}/{name}_grad_{wrt}_{which}"] = grads[f"{name}_{wrt}"][
                        k
                    ].item()
        metrics[f"{prefix}/ce_over_mse_logit_true"] = abs(
            grads["ce_logit"][label] / grads["mse_logit"][label]
        ).item()
    if plot_to is not None:
        _plot_sweep(plot_to, label, wrong_class, sweep_points)
    return metrics


def _plot_sweep(path: Path, label: int, wrong_class: int, points: int) -> None:
    from loop_demos.plots import save_gradient_sweep

    probs = torch.linspace(0, 1, points + 2, dtype=torch.float64)[1:-1].tolist()
    rows = [_gradients(prediction_vector(p, None, label, wrong_class), label) for p in probs]
    series = {
        wrt: {
            name.upper(): [
                (p, abs(g[f"{name}_{wrt}"][label].item())) for p, g in zip(probs, rows, strict=True)
            ]
            for name in ("ce", "mse")
        }
        for wrt in ("prob", "logit")
    }
    save_gradient_sweep(path, series["prob"], series["logit"], label)
