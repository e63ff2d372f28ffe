"""Test-only callbacks that break a run at a given training step: a hard kill, or NaN weights."""

import os
import signal

import pytorch_lightning as pl


class KillAtStep(pl.Callback):
    """Kills the process at the start of training step ``step`` (an optimizer step)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


class PoisonWeightsAtStep(pl.Callback):
    """Sets every weight to NaN before training step ``step``: the loss of that step is NaN."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            for p in pl_module.parameters():
                p.data.fill_(float("nan"))


class SignalAtStep(pl.Callback):
    """Sends ``signum`` to its own process at the start of training step ``step``.

    As a scheduler's SIGTERM or a user's Ctrl-C would arrive: in the middle of a batch.
    """

    def __init__(self, step: int, signum: int = signal.SIGTERM) -> None:
        self.step, self.signum = step, signum

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


class CrashAtStep(pl.Callback):
    """Raises RuntimeError at the start of training step ``step``: a crash, in process."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            raise RuntimeError(f"crash at step {self.step}")


class InfWeightsAfterStep(pl.Callback):
    """Sets the weights to inf after training step ``step``, whose loss was finite.

    As one step with a huge learning rate does; a checkpoint taken right after it would hold them.
    """

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.step + 1:
            for p in pl_module.parameters():
                p.data.fill_(float("inf"))
