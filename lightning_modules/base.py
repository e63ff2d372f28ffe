"""What every labkit training module shares; a subclass only says how a batch becomes a loss."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import MaxMetric, MeanMetric, MinMetric

from labkit.errors import ConfigError
from lightning_modules.epoch_records import EpochRecords

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]
STAGES = ("train", "val", "test")


class TrainingModule(pl.LightningModule):
    """Optimiser, schedule, epoch statistics and the best monitored value, once.

    A subclass implements :meth:`loss_and_statistics` (a batch -> the loss to back-propagate and
    a dict of per-batch mean statistics, ``"loss"`` among them) and passes the statistic names
    to this constructor. The base logs ``train/loss`` every ``trainer.log_every_n_steps``
    Lightning steps, and per epoch ``<stage>/<name>`` for every statistic (``train/loss_epoch``
    for the training loss), sample-weighted over the whole epoch and reduced through
    torchmetrics so they sync across DDP processes, plus ``<monitor>_best``.

    Args:
        net: the network (built from config and passed in; this class knows no architecture).
        optimizer: partial optimizer, called with the parameters.
        statistics: names of the statistics the subclass returns, e.g. ``("loss", "acc")``.
        scheduler: optional partial LR scheduler, called with the optimizer (and with
            ``total_steps``, the run's optimizer steps, when it takes that and the interval is
            ``"step"``, as OneCycleLR does).
        scheduler_interval: ``"epoch"`` or ``"step"``: how often the scheduler steps.
        monitor: the epoch metric whose best value is kept (``val/acc``, ``val/loss``, ...).
        monitor_mode: ``"max"`` or ``"min"``.
        channels_last: hold the net's conv weights and its 4-d inputs in channels-last memory
            order (``true``), only when training on a CUDA device (``"auto"``), or not
            (``false``). Tensor cores read channels-last directly; on a CPU it is usually slower.
        compile: compile the net with ``torch.compile`` (in place: checkpoints keep their keys).
            The first steps then take a while longer; the later ones less.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        statistics: Sequence[str],
        scheduler: SchedulerFactory | None = None,
        scheduler_interval: str = "epoch",
        monitor: str = "val/acc",
        monitor_mode: str = "max",
        channels_last: bool | str = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        if channels_last not in (True, False, "auto"):
            raise ConfigError(
                f"model.channels_last must be true, false or auto, got {channels_last!r}."
            )
        if scheduler_interval not in ("epoch", "step"):
            raise ConfigError(
                f"model.scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}."
            )
        if monitor_mode not in ("max", "min"):
            raise ConfigError(f"model.monitor_mode must be 'max' or 'min', got {monitor_mode!r}.")
        stage, _, name = monitor.partition("/")
        if stage not in STAGES or name not in statistics:
            raise ConfigError(
                f"model.monitor={monitor!r} is not a metric this model logs; choose one of "
                f"{[f'val/{s}' for s in statistics]}."
            )
        self.net = net
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.scheduler_interval = scheduler_interval
        self.statistics = tuple(statistics)
        self.monitor = monitor
        self.channels_last, self.compile_net = channels_last, compile
        self._inputs_channels_last = False  # decided once the device is known (configure_model)
        self._net_compiled = False
        # Each step only appends its detached statistics and size (no device sync, no
        # torchmetrics update, which costs more than a small model's step can spare). At epoch end the totals pass once through MeanMetric, which weights by
        # the sample count and syncs across DDP processes.
        self._records: dict[str, EpochRecords] = {}
        self.epoch_means = nn.ModuleDict(
            {
                f"{stage}__{name.replace('/', '__')}": MeanMetric()
                for stage in STAGES
                for name in statistics
            }
        )
        # Persistent: saved in checkpoints, so a resumed run remembers the best value so far.
        self.best_monitor = MaxMetric() if monitor_mode == "max" else MinMetric()
        self.best_monitor.persistent(True)

    # -- what a subclass provides ----------------------------------------------------------

    def loss_and_statistics(self, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``batch`` -> (loss to back-propagate, ``{name: per-batch mean}`` for every statistic)."""
        raise NotImplementedError

    # -- the shared machinery --------------------------------------------------------------

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._inputs_channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x)

    def configure_model(self) -> None:
        """Memory order and compilation of the net, once the trainer's device is known."""
        on_cuda = self.trainer.strategy.root_device.type == "cuda"
        if self.channels_last is True or (self.channels_last == "auto" and on_cuda):
            self.net.to(memory_format=torch.channels_last)
            self._inputs_channels_last = True
        if self.compile_net and not self._net_compiled:
            self.net.compile()  # in place (nn.Module.compile): state-dict keys stay the same
            self._net_compiled = True

    def logged_metric_names(self) -> set[str]:
        """Every metric this module logs (``train/loss``, ``val/acc``, ``val/acc_best``, ...)."""
        names = {f"{stage}/{name}" for stage in STAGES for name in self.statistics}
        return names | {"train/loss_epoch", f"{self.monitor}_best"}

    def _record(self, stage: str, batch, statistics: dict[str, torch.Tensor]) -> None:
        missing = [name for name in self.statistics if name not in statistics]
        if missing:
            raise RuntimeError(f"{type(self).__name__} returned no statistic {missing}.")
        values = torch.stack([statistics[name].detach().float() for name in self.statistics])
        self._records.setdefault(stage, EpochRecords()).add(values, len(batch[0]))

    def _step(self, batch, stage: str) -> torch.Tensor:
        loss, statistics = self.loss_and_statistics(batch)
        self._record(stage, batch, statistics)
        return loss

    def _log_epoch(self, stage: str) -> dict[str, torch.Tensor]:
        """Log the epoch's sample-weighted means (synced across DDP ranks); returns them."""
        records = self._records.pop(stage, None)
        if records is not None:
            means, count = records.means()
            for name, value in zip(self.statistics, means, strict=True):
                self._epoch_metric(stage, name).update(value, weight=count)
        logged = {}
        # on_epoch explicitly: inside training_step Lightning's default would be per step.
        # One value per epoch, already sample-weighted: batch_size=1 spares Lightning guessing it.
        for name in self.statistics:
            metric = self._epoch_metric(stage, name)
            logged[name] = metric.compute()
            metric.reset()
            key = f"{stage}/loss_epoch" if (stage, name) == ("train", "loss") else f"{stage}/{name}"
            shown = name in ("loss", self.monitor.partition("/")[2]) and "/" not in name
            # sync_dist: the value is torchmetrics' compute(), the same on every rank already;
            # it only tells Lightning so (its DDP warning asks for it).
            self.log(
                key,
                logged[name],
                on_step=False,
                on_epoch=True,
                prog_bar=shown,
                batch_size=1,
                sync_dist=True,
            )
        return logged

    def _epoch_metric(self, stage: str, name: str) -> MeanMetric:
        return self.epoch_means[f"{stage}__{name.replace('/', '__')}"]

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, "train")
        # Lightning sends logs to the loggers every log_every_n_steps; logging on the other
        # steps would only fill a buffer nobody reads.
        if (self.global_step + 1) % self.trainer.log_every_n_steps == 0:
            self.log(
                "train/loss",
                loss.detach(),
                on_step=True,
                on_epoch=False,
                prog_bar=True,
                batch_size=1,  # a per-step value: no epoch weighting to guess a batch size for
            )
        if batch_idx + 1 == self.trainer.num_training_batches:
            # Logged with the last batch, not in on_train_epoch_end, so that callbacks (which
            # Lightning calls before the module's epoch-end hook) see this epoch's values.
            self._log_epoch("train")
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        logged = self._log_epoch("val")
        if not self.trainer.sanity_checking and self.monitor.startswith("val/"):
            self.best_monitor(logged[self.monitor.partition("/")[2]])
            self.log(f"{self.monitor}_best", self.best_monitor.compute(), sync_dist=True)

    def test_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def configure_optimizers(self) -> dict:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        extra = {}
        wants_total = "total_steps" in inspect.signature(self.scheduler_factory).parameters
        wants_total &= "total_steps" not in getattr(self.scheduler_factory, "keywords", {})
        if self.scheduler_interval == "step" and wants_total:
            extra["total_steps"] = int(self.trainer.estimated_stepping_batches)
        scheduler = self.scheduler_factory(optimizer=optimizer, **extra)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.scheduler_interval},
        }
