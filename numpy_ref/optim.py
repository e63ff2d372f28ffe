"""Optimisers that update NumPy parameters in place with torch.optim's exact update rules.

Both take a ``Layer`` (its ``parameters()`` are used) or an iterable of ``(name, param, grad)``
triples. Parameter and gradient arrays are never replaced, only written into, so a NumPy model and
a torch twin started from the same weights and fed the same batches stay equal up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from numpy_ref.layer import Layer

ParamTriples = Iterable[tuple[str, np.ndarray, np.ndarray]]


def _collect(layer_or_params: Layer | ParamTriples) -> list[tuple[str, np.ndarray, np.ndarray]]:
    triples = list(
        layer_or_params.parameters() if isinstance(layer_or_params, Layer) else layer_or_params
    )
    if not triples:
        raise ValueError("optimiser got an empty parameter list")
    for name, param, grad in triples:
        if param.shape != grad.shape:
            raise ValueError(
                f"parameter {name!r} has shape {param.shape} but its gradient {grad.shape}"
            )
    return triples


class Optimizer:
    """Shared parts: the parameter list, ``zero_grad`` and the step counter."""

    def __init__(self, layer_or_params: Layer | ParamTriples, lr: float) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got lr={lr}")
        self.lr = lr
        self.param_groups = _collect(layer_or_params)
        self.step_count = 0

    def zero_grad(self) -> None:
        for _, _, grad in self.param_groups:
            grad.fill(0)

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    With ``g ← ∇θ + λ θ`` (weight decay ``λ``) and momentum ``μ``, dampening ``τ``:
    ``b ← g`` on the first step, else ``b ← μ b + (1 - τ) g``;
    the step direction is ``d = g + μ b`` (Nesterov) or ``d = b``; then ``θ ← θ - lr d``.
    Without momentum ``θ ← θ - lr g``.
    """

    def __init__(
        self,
        layer_or_params: Layer | ParamTriples,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(layer_or_params, lr)
        if momentum < 0:
            raise ValueError(f"momentum must be ≥ 0, got momentum={momentum}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be ≥ 0, got weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum needs momentum > 0 and dampening = 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.momentum_buffers: list[np.ndarray | None] = [None] * len(self.param_groups)

    def step(self) -> None:
        self.step_count += 1
        for index, (_, param, grad) in enumerate(self.param_groups):
            d = grad + self.weight_decay * param if self.weight_decay else grad
            if self.momentum:
                buf = self.momentum_buffers[index]
                if buf is None:
                    buf = self.momentum_buffers[index] = d.copy()
                else:
                    buf *= self.momentum
                    buf += (1 - self.dampening) * d
                d = d + self.momentum * buf if self.nesterov else buf
            param -= self.lr * d


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam`` (``amsgrad=False``).

    At step ``t``, with ``g ← ∇θ + λ θ``:
    ``m ← β₁ m + (1 - β₁) g``, ``v ← β₂ v + (1 - β₂) g²``,
    ``θ ← θ - lr / (1 - β₁ᵗ) · m / (sqrt(v) / sqrt(1 - β₂ᵗ) + ε)``.
    The bias corrections are applied in that order (``ε`` added after dividing ``sqrt(v)``) as
    torch does; ``ε`` is therefore not inside the corrected square root.
    """

    def __init__(
        self,
        layer_or_params: Layer | ParamTriples,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(layer_or_params, lr)
        if not all(0.0 <= beta < 1.0 for beta in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got betas={betas}")
        if eps < 0:
            raise ValueError(f"eps must be ≥ 0, got eps={eps}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be ≥ 0, got weight_decay={weight_decay}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = eps
        self.weight_decay = weight_decay
        self.exp_avg = [np.zeros_like(param) for _, param, _ in self.param_groups]
        self.exp_avg_sq = [np.zeros_like(param) for _, param, _ in self.param_groups]
        # One scratch buffer per parameter, so a step allocates nothing.
        self._scratch = [np.empty_like(param) for _, param, _ in self.param_groups]

    def step(self) -> None:
        self.step_count += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**self.step_count)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.step_count)
        for (_, param, grad), m, v, tmp in zip(
            self.param_groups, self.exp_avg, self.exp_avg_sq, self._scratch, strict=True
        ):
            g = grad + self.weight_decay * param if self.weight_decay else grad
            # m ← m + (1 - β₁)(g - m), torch's lerp form of β₁ m + (1 - β₁) g.
            np.subtract(g, m, out=tmp)
            tmp *= 1 - beta1
            m += tmp
            # v ← β₂ v + (1 - β₂) g².
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            # θ ← θ - step_size · m / (sqrt(v) / sqrt(1 - β₂ᵗ) + ε).
            np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            param -= tmp
