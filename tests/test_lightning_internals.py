"""Lightning's private API that labkit relies on, all of it in labkit/lightning_internals.py: the
optimizer's step callbacks, the loggers' step counter and the ModelCheckpoint helpers
LastCheckpoint uses.

If a Lightning upgrade renames them or stops counting steps through them, this fails first.
"""

import csv

import pytorch_lightning as pl
import torch
from pytorch_lightning.core.optimizer import LightningOptimizer
from torch import nn

from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.lightning_internals import (
    checkpoint_step_interval,
    counted_optimizer_step,
    last_saved_step,
    logger_step,
)


class _OneStepPerBatch(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.net = nn.Linear(2, 1)
        self.global_steps_seen: list[int] = []

    def training_step(self, batch, batch_idx):
        optimizer = self.optimizers()
        assert isinstance(optimizer, LightningOptimizer)
        assert callable(optimizer._on_before_step) and callable(optimizer._on_after_step)
        before = self.trainer.global_step
        self.net(batch[0]).pow(2).mean().backward()
        counted_optimizer_step(optimizer)
        optimizer.zero_grad()
        self.global_steps_seen.append(self.trainer.global_step - before)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_counted_optimizer_step_steps_the_weights_and_advances_global_step():
    model = _OneStepPerBatch()
    start = model.net.weight.detach().clone()
    x = torch.ones(12, 2)
    batches = TensorBatchLoader(x, x, ShardedBatchSampler(12, 3, shuffle=False))
    trainer = pl.Trainer(
        logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=1
    )
    trainer.fit(model, train_dataloaders=batches)
    assert model.global_steps_seen == [1, 1, 1, 1]
    assert trainer.global_step == 4
    assert not torch.equal(model.net.weight, start)


class _LogsItsLoggerStep(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        self.log("seen_step", float(logger_step(self.trainer)), on_step=True, on_epoch=False)
        return self.net(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_logger_step_is_the_step_lightning_logs_the_batch_at(tmp_path):
    x = torch.ones(12, 2)
    batches = TensorBatchLoader(x, x, ShardedBatchSampler(12, 3, shuffle=False))
    trainer = pl.Trainer(
        logger=pl.loggers.CSVLogger(tmp_path, name="", version=""),
        enable_checkpointing=False,
        enable_progress_bar=False,
        max_epochs=2,
        log_every_n_steps=1,
    )
    trainer.fit(_LogsItsLoggerStep(), train_dataloaders=batches)
    rows = [r for r in csv.DictReader((tmp_path / "metrics.csv").open()) if r.get("seen_step")]
    assert [int(r["step"]) for r in rows] == list(range(8))
    assert [float(r["seen_step"]) for r in rows] == [float(r["step"]) for r in rows]


def test_the_model_checkpoint_helpers_last_checkpoint_calls_still_exist(tmp_path):
    from callbacks.last_checkpoint import LastCheckpoint

    last = LastCheckpoint(str(tmp_path), every_n_train_steps=3)
    for name in (
        "_save_last_checkpoint",
        "_monitor_candidates",
        "_should_skip_saving_checkpoint",
        "_should_save_on_train_epoch_end",
    ):
        assert callable(getattr(last, name, None)), f"ModelCheckpoint.{name} is gone"
    assert checkpoint_step_interval(last) == 3 and isinstance(last_saved_step(last), int)
