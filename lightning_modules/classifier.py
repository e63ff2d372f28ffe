"""Training logic for single-label classification with cross-entropy."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import Precision
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.strategies import SingleDeviceStrategy
from torch import nn
from torchmetrics import MaxMetric, MeanMetric

from labkit.errors import ConfigError

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]
STAGES = ("tr", "val", "test")  # "train" is a reserved ModuleDict attribute
# Hooks Lightning calls around each optimizer step (from manual_backward and optimizer.step).
STEP_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")


class _BatchRecords:
    """One stage's per-batch mean losses, correct counts and sizes, as the steps produce them."""

    def __init__(self) -> None:
        self.losses: list[torch.Tensor] = []
        self.correct: list[torch.Tensor] = []
        self.sizes: list[int] = []

    def add(self, loss: torch.Tensor, correct: torch.Tensor, size: int) -> None:
        self.losses.append(loss)
        self.correct.append(correct)
        self.sizes.append(size)

    def means(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Sample-weighted mean loss, accuracy, and the number of samples."""
        sizes = torch.tensor(self.sizes, dtype=torch.float32, device=self.losses[0].device)
        count = sum(self.sizes)
        mean_loss = (torch.stack(self.losses).float() * sizes).sum() / count
        accuracy = torch.stack(self.correct).sum().float() / count
        return mean_loss, accuracy, count


class ImageClassifier(pl.LightningModule):
    """Cross-entropy classifier around any ``net``: ``x: (N, C, H, W) -> logits (N, num_classes)``.

    Logs ``train/loss`` per step; per epoch ``train/loss_epoch``, ``train/acc``, ``val/loss``,
    ``val/acc``, ``test/loss``, ``test/acc`` (batch-size weighted over the whole epoch) and
    ``val/acc_best``. Epoch values are reduced through torchmetrics, so they sync across DDP
    processes.

    Args:
        net: the network (built from config and passed in; this class knows no architecture).
        optimizer: partial optimizer, called with the parameters.
        scheduler: optional partial LR scheduler, called with the optimizer.
        scheduler_interval: ``"epoch"`` or ``"step"``: how often the scheduler steps. Per-step
            schedulers that take ``total_steps`` (OneCycleLR) get the run's total number of steps.
        num_classes: number of classes; the net's output width is checked against it.
        steps_per_execution: optimizer steps per Lightning step (as in Keras). With K > 1 the
            training loader must hand out lists of up to K batches (``BatchGroups``, the data
            config's ``steps_per_execution``), and the module steps the optimizer and scheduler
            itself (Lightning's manual optimization), spreading Lightning's per-step cost over K
            steps. The optimizer steps, their order and ``global_step`` are those of K = 1; what
            counts executions is Lightning's own step: the progress bar, ``log_every_n_steps`` and
            the step axis of the loggers. Lightning rejects ``gradient_clip_val`` and
            ``accumulate_grad_batches`` with K > 1. Where Lightning's per-step plumbing would do
            nothing (fp32, one device, no step hooks), the steps call backward and the optimizer
            directly.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        num_classes: int,
        scheduler: SchedulerFactory | None = None,
        scheduler_interval: str = "epoch",
        steps_per_execution: int = 1,
    ) -> None:
        super().__init__()
        # The net lives in the state dict and the factories in the run's config; checkpoints then
        # hold only plain data and load with torch.load(weights_only=True).
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.net = net
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(
                f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}."
            )
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ConfigError(
                f"steps_per_execution must be an integer >= 1, got {steps_per_execution!r}."
            )
        self.steps_per_execution = steps_per_execution
        self.automatic_optimization = steps_per_execution == 1
        self._direct_steps = False  # set at the start of training: see _lightning_step_is_a_no_op
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.scheduler_interval = scheduler_interval
        self.num_classes = num_classes
        self.criterion = nn.CrossEntropyLoss()
        # Each step only appends its loss, correct count and size (tens of microseconds, no
        # device sync); a torchmetrics update per step costs ~0.2 ms, several percent of a small
        # model's step. At epoch end the totals pass once through MeanMetric, which weights by
        # the sample count and syncs across DDP processes.
        self._batches: dict[str, _BatchRecords] = {}
        self.epoch_loss = nn.ModuleDict({stage: MeanMetric() for stage in STAGES})
        self.epoch_acc = nn.ModuleDict({stage: MeanMetric() for stage in STAGES})
        # Persistent: saved in checkpoints, so a resumed run remembers the best accuracy so far.
        self.val_acc_best = MaxMetric()
        self.val_acc_best.persistent(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], key: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        if logits.shape[-1] != self.num_classes:
            raise ConfigError(
                f"The net outputs {logits.shape[-1]} logits per sample but the model has "
                f"num_classes={self.num_classes}; set the net's output size "
                f"(e.g. model.net.out_features) to {self.num_classes}."
            )
        loss = self.criterion(logits, y)
        records = self._batches.setdefault(key, _BatchRecords())
        records.add(loss.detach(), (logits.detach().argmax(dim=1) == y).sum(), len(y))
        return loss

    def _log_epoch(self, stage: str, key: str, loss_name: str) -> torch.Tensor:
        """Log the epoch's sample-weighted mean loss and accuracy (synced across DDP ranks)."""
        records = self._batches.pop(key, None)
        if records is not None:
            mean_loss, accuracy, count = records.means()
            self.epoch_loss[key].update(mean_loss, weight=count)
            self.epoch_acc[key].update(accuracy, weight=count)
        acc = self.epoch_acc[key].compute()
        # on_epoch explicitly: inside training_step Lightning's default would be per step.
        # One value per epoch, already sample-weighted: batch_size=1 spares Lightning guessing it.
        epoch = {"on_step": False, "on_epoch": True, "batch_size": 1}
        self.log(
            f"{stage}/{loss_name}",
            self.epoch_loss[key].compute(),
            prog_bar=stage != "train",
            **epoch,
        )
        self.log(f"{stage}/acc", acc, prog_bar=True, **epoch)
        self.epoch_acc[key].reset()
        self.epoch_loss[key].reset()
        return acc

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        """``batch``: ``(x, y)``, or with ``steps_per_execution`` > 1 a list of up to K of them.

        Returns the loss to back-propagate (K = 1) or the K detached losses, ``(K,)``, for the
        callbacks that watch it (the non-finite loss guard).
        """
        grouped = isinstance(batch, list)
        if grouped == self.automatic_optimization:
            raise ConfigError(
                f"model.steps_per_execution={self.steps_per_execution} but the training loader "
                f"hands out {'lists of batches' if grouped else 'single batches'}; set both from "
                "one value, e.g. steps_per_execution=8 (configs give it to model and data)."
            )
        loss = self._run_execution(batch) if grouped else self._step(batch, "tr")
        # Lightning sends logs to the loggers every log_every_n_steps of its own steps; logging
        # on the other steps would cost ~1 ms each for nothing.
        lightning_step = self.current_epoch * self.trainer.num_training_batches + batch_idx
        if (lightning_step + 1) % self.trainer.log_every_n_steps == 0:
            self.log(
                "train/loss",
                loss.detach().mean(),  # the mean over the execution's K steps
                on_step=True,
                on_epoch=False,
                prog_bar=True,
                batch_size=1,  # a per-step value: no epoch weighting to guess a batch size for
            )
        if batch_idx + 1 == self.trainer.num_training_batches:
            # Logged with the last batch, not in on_train_epoch_end, so that callbacks (which
            # Lightning calls before the module's epoch-end hook) see this epoch's values.
            self._log_epoch("train", "tr", "loss_epoch")
        return loss

    def _run_execution(self, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """One optimizer step per batch, as Lightning's automatic loop would have taken them."""
        optimizer = self.optimizers()
        scheduler = self.lr_schedulers() if self.scheduler_interval == "step" else None
        direct = self._direct_steps
        losses = []
        for batch in batches:
            loss = self._step(batch, "tr")
            optimizer.zero_grad()
            if direct:
                # What manual_backward and optimizer.step come down to here (see
                # _lightning_step_is_a_no_op). The two step callbacks are the ones Lightning's
                # manual loop gives the optimizer: they count global_step. (Private, hence the
                # tests that compare weights and global_step with the Lightning path.)
                loss.backward()
                optimizer._on_before_step()
                optimizer.optimizer.step()
                optimizer._on_after_step()
            else:
                self.manual_backward(loss)
                optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.detach())
        return torch.stack(losses)

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

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        acc = self._log_epoch("val", "val", "loss")
        if not self.trainer.sanity_checking:
            self.val_acc_best(acc)
            self.log("val/acc_best", self.val_acc_best.compute())

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test", "test", "loss")

    def _total_optimizer_steps(self) -> int:
        """The optimizer steps this fit will take (Lightning's estimate counts executions)."""
        trainer = self.trainer
        executions = trainer.estimated_stepping_batches  # also sets up the train loader
        if self.automatic_optimization:
            return int(executions)
        # An epoch's last execution may hold fewer than K batches: count the batches when we can.
        total = executions * self.steps_per_execution
        per_epoch = getattr(trainer.train_dataloader, "num_batches", None)
        if (
            per_epoch
            and trainer.max_epochs not in (None, -1)
            and trainer.limit_train_batches == 1.0
        ):
            total = min(total, per_epoch * trainer.max_epochs)
        if trainer.max_steps != -1:
            total = min(total, trainer.max_steps)
        return int(total)

    def configure_optimizers(self) -> dict:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        extra = {}
        wants_total = "total_steps" in inspect.signature(self.scheduler_factory).parameters
        wants_total &= "total_steps" not in getattr(self.scheduler_factory, "keywords", {})
        if self.scheduler_interval == "step" and wants_total:
            extra["total_steps"] = self._total_optimizer_steps()
        scheduler = self.scheduler_factory(optimizer=optimizer, **extra)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.scheduler_interval},
        }
