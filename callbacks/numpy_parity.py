"""Check, during real training, that numpy_ref's hand-written backward passes agree with autograd."""

from __future__ import annotations

import warnings

import numpy as np
import pytorch_lightning as pl
import torch

from labkit.errors import ConfigError
from numpy_bridge.comparison import Comparison, compare
from numpy_bridge.twin import NumpyTwin, build_twin, float64_reference

BREACH_ACTIONS = ("warn", "raise")


class NumpyParityError(RuntimeError):
    """The NumPy twin's logits, loss or gradients left the tolerance; the message names where."""


class NumpyParityCallback(pl.Callback):
    """Every ``every_n_steps`` optimizer steps, compare the net with its ``numpy_ref`` twin.

    On the batch about to be trained (``x: (N, C, H, W)``, ``y: (N,)`` class indices), both sides get the net's current weights in float64 and run
    forward, the mean cross-entropy and backward: torch through autograd on a float64 copy of the
    net, NumPy through the twin's own ``backward``. The largest relative error of the logits, the
    loss and every parameter's gradient is logged as ``parity/logits``, ``parity/loss``,
    ``parity/grad/<parameter>`` and ``parity/max`` (CSV and W&B). Past ``tolerance`` it warns or
    stops the run (``NumpyParityError``), naming the layer and the tensor where the difference
    first appears.

    It only observes: the training net, its gradients and every random generator are untouched,
    so a run with it gives the metrics of a run without it. The first check is at step 0 (a bug
    fails at once); under DDP rank zero checks and tells the other ranks whether to stop.

    Args:
        every_n_steps: optimizer steps between checks.
        tolerance: largest relative error accepted (float64 on both sides agrees to ~1e-15).
        on_breach: ``"warn"`` or ``"raise"``.
    """

    def __init__(
        self, every_n_steps: int = 200, tolerance: float = 1e-6, on_breach: str = "raise"
    ) -> None:
        if not isinstance(every_n_steps, int) or every_n_steps < 1:
            raise ConfigError(
                f"callbacks.numpy_parity.every_n_steps must be an integer >= 1, got "
                f"{every_n_steps!r}."
            )
        if not tolerance > 0:
            raise ConfigError(
                f"callbacks.numpy_parity.tolerance must be > 0, got {tolerance!r} (e.g. 1e-6)."
            )
        if on_breach not in BREACH_ACTIONS:
            raise ConfigError(
                f"callbacks.numpy_parity.on_breach must be one of {BREACH_ACTIONS}, "
                f"got {on_breach!r}."
            )
        self.every_n_steps, self.tolerance, self.on_breach = every_n_steps, tolerance, on_breach
        self.twin: NumpyTwin | None = None
        self.reference: torch.nn.Module | None = None
        self.history: list[tuple[int, float]] = []  # (step, largest error) of every check

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # At fit start on every rank: a net without a twin is refused before any step.
        if stage == "fit" and self.twin is None:
            net = pl_module.net
            self.twin = build_twin(net, np.float64)
            self.reference = float64_reference(net)

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int
    ) -> None:
        if trainer.global_step % self.every_n_steps:
            return
        message = None
        if trainer.is_global_zero:
            message = self._check(trainer, pl_module, *batch)
        if trainer.world_size > 1:
            message = trainer.strategy.broadcast(message, src=0)
        if message is None:
            return
        if self.on_breach == "raise":
            raise NumpyParityError(message)
        warnings.warn(message, stacklevel=2)

    def check(self, net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> Comparison:
        """Compare ``net`` at its current weights with the twin on ``x: (N, ...)``, ``y: (N,)``."""
        if y.ndim != 1:
            raise ConfigError(
                "NumpyParityCallback compares a single-label classifier (cross-entropy on "
                f"labels (N,)); this batch has labels of shape {tuple(y.shape)}."
            )
        if self.twin is None:
            self.twin, self.reference = build_twin(net, np.float64), float64_reference(net)
        with torch.no_grad():
            self.reference.load_state_dict(net.state_dict())
        self.reference.train(net.training)
        self.twin.load_from(net)
        x_np = x.detach().to("cpu", torch.float64).numpy()
        comparison = compare(self.reference, self.twin, x_np, targets=y.detach().cpu().numpy())
        self.reference.zero_grad(set_to_none=True)
        return comparison

    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule, x, y) -> str | None:
        comparison = self.check(pl_module.net, x, y)
        step = trainer.global_step
        metrics = {f"parity/{key}": value for key, value in comparison.errors.items()}
        metrics["parity/max"] = comparison.largest
        # The step Lightning's loggers give this batch's train/loss.
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=step)
        self.history.append((step, comparison.largest))
        if comparison.culprit(self.tolerance) is None:
            return None
        return f"step {step}: {comparison.describe(self.tolerance)}"
