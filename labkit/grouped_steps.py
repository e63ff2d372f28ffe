"""Grouped optimizer steps (``steps_per_execution`` K > 1): K steps per Lightning step.

Lightning costs ~1 ms per training step whatever the model; for a small MLP whose steps take a few
milliseconds that is a large share. With K > 1 the training loader hands out lists of up to K
batches (``BatchGroups``) and the module takes their K optimizer steps itself under Lightning's
manual optimization, in the order and with the ``global_step`` of K = 1. What Lightning's
automatic loop would otherwise do for each step is redone here: gradient clipping and
accumulation (:meth:`GroupedSteps.adopt_step_options`), per-step and per-epoch schedulers, and the
number of optimizer steps a one-cycle schedule spans. ``tests/test_training_module.py`` compares
the result with K = 1 bit for bit.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import Precision
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.strategies import SingleDeviceStrategy

from labkit.lightning_internals import counted_optimizer_step

# Hooks Lightning calls around each optimizer step (from manual_backward and optimizer.step).
STEP_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")


class GroupedSteps(pl.LightningModule):
    """The K-steps-per-execution half of :class:`~lightning_modules.base.TrainingModule`.

    The host calls :meth:`init_grouped_steps` in its constructor, sets ``scheduler_interval``
    (``"step"`` or ``"epoch"``) and provides ``_step(batch, stage) -> loss``.
    """

    def init_grouped_steps(self, steps_per_execution: int) -> None:
        self.steps_per_execution = steps_per_execution
        self.automatic_optimization = steps_per_execution == 1
        self.gradient_clip_val: float | None = None
        self.gradient_clip_algorithm = "norm"
        self.accumulate_grad_batches = 1
        self._direct_steps = False  # set at the start of training: see _lightning_step_is_a_no_op

    def adopt_step_options(
        self,
        gradient_clip_val: float | None,
        gradient_clip_algorithm: str | None,
        accumulate_grad_batches: int,
    ) -> None:
        """Take over the Trainer's clipping and accumulation, which it refuses for K > 1.

        Lightning applies these only in its automatic loop (K = 1); with grouped steps this
        module clips through Lightning's public ``clip_gradients`` and accumulates the way
        Lightning does (losses scaled by 1/N, a step every N batches and at the epoch's end).
        """
        self.gradient_clip_val = gradient_clip_val or None
        self.gradient_clip_algorithm = gradient_clip_algorithm or "norm"
        self.accumulate_grad_batches = accumulate_grad_batches

    def _run_execution(self, batches: list, batch_idx: int) -> torch.Tensor:
        """One backward per batch and an optimizer step per ``accumulate_grad_batches`` of them,
        as Lightning's automatic loop would have taken them."""
        optimizer = self.optimizers()
        scheduler = self.lr_schedulers() if self.scheduler_interval == "step" else None
        accumulate = self.accumulate_grad_batches
        per_epoch = self._batches_per_epoch()
        losses = []
        for i, batch in enumerate(batches):
            loss = self._step(batch, "train")
            index = batch_idx * self.steps_per_execution + i  # the batch's index in its epoch
            if self._direct_steps:
                (loss / accumulate if accumulate > 1 else loss).backward()
            else:
                self.manual_backward(loss / accumulate if accumulate > 1 else loss)
            if (index + 1) % accumulate == 0 or index + 1 == per_epoch:
                if self.gradient_clip_val:
                    self.clip_gradients(
                        optimizer, self.gradient_clip_val, self.gradient_clip_algorithm
                    )
                if self._direct_steps:
                    counted_optimizer_step(optimizer)
                else:
                    optimizer.step()
                optimizer.zero_grad()
                if scheduler is not None:
                    scheduler.step()
            losses.append(loss.detach())
        return torch.stack(losses)

    def _batches_per_epoch(self) -> int:
        """Training batches (not executions) per epoch."""
        loader = self.trainer.train_dataloader
        return getattr(loader, "num_batches", None) or int(self.trainer.num_training_batches)

    def on_train_start(self) -> None:
        self._direct_steps = not self.automatic_optimization and self._lightning_step_is_a_no_op()

    def _lightning_step_is_a_no_op(self) -> bool:
        """Whether Lightning's plumbing around backward and step would do nothing but call them.

        So it is with 32-bit precision on one device (no loss scaling, no gradient sync), no
        profiler, and no callback or method of this module hooking into the optimizer step. The
        plumbing (a dozen no-op hooks, each with a profiler context) then costs ~0.25 ms per
        step on 2 cores, ~2% of a 784-512-512-10 MLP's step; steps_per_execution exists to save
        such costs (benchmarks/lightning_overhead.py).
        """
        trainer = self.trainer
        if type(trainer.strategy) is not SingleDeviceStrategy:
            return False
        if type(trainer.precision_plugin) is not Precision:
            return False
        if not isinstance(trainer.profiler, PassThroughProfiler):
            return False  # a profiler is there to time Lightning's steps
        if any(
            getattr(type(cb), hook) is not getattr(pl.Callback, hook)
            for cb in trainer.callbacks
            for hook in STEP_HOOKS
        ):
            return False
        module_hooks = (*STEP_HOOKS, "backward", "configure_gradient_clipping")
        return all(getattr(type(self), h) is getattr(pl.LightningModule, h) for h in module_hooks)

    def on_train_epoch_end(self) -> None:
        # Lightning's automatic loop steps epoch schedulers; under manual optimization we do.
        if not self.automatic_optimization and self.scheduler_interval == "epoch":
            scheduler = self.lr_schedulers()
            if scheduler is not None:
                scheduler.step()

    def _total_optimizer_steps(self) -> int:
        """The optimizer steps this fit will take (Lightning's estimate counts executions)."""
        trainer = self.trainer
        executions = trainer.estimated_stepping_batches  # also sets up the train loader
        if self.automatic_optimization:
            return int(executions)
        per_epoch = self._batches_per_epoch()
        steps_per_epoch = -(-per_epoch // self.accumulate_grad_batches)
        total = executions * self.steps_per_execution // self.accumulate_grad_batches
        if trainer.max_epochs not in (None, -1) and trainer.limit_train_batches == 1.0:
            # An epoch's last execution may hold fewer than K batches: count the batches.
            total = steps_per_epoch * trainer.max_epochs
        if trainer.max_steps != -1:
            total = min(total, trainer.max_steps)
        return int(total)
