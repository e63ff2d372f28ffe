"""Batches sliced from tensors: shapes, per-epoch shuffling, and disjoint DDP shards."""

import pytest
import pytorch_lightning as pl
import torch

from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.errors import ConfigError


def _epoch(sampler, epoch):
    sampler.set_epoch(epoch)
    return torch.cat(list(sampler)).tolist()


def test_each_epoch_is_a_permutation_that_depends_only_on_seed_and_epoch():
    a, b = ShardedBatchSampler(103, 10, True, seed=7), ShardedBatchSampler(103, 10, True, seed=7)
    assert sorted(_epoch(a, 0)) == list(range(103))
    assert _epoch(a, 3) == _epoch(b, 3)
    assert _epoch(a, 0) != _epoch(a, 1)


@pytest.mark.parametrize("world_size", [2, 3])
def test_rank_shards_are_disjoint_and_cover_every_sample_once(world_size):
    shards = [
        _epoch(ShardedBatchSampler(101, 8, True, 1, rank, world_size), 2)
        for rank in range(world_size)
    ]
    together = sum(shards, [])
    assert sorted(together) == list(range(101))


def test_loader_yields_matching_slices_and_reports_its_length():
    x, y = torch.arange(50.0).reshape(25, 2), torch.arange(25)
    loader = TensorBatchLoader(x, y, ShardedBatchSampler(25, 10, shuffle=False))
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(b[1]) for b in batches] == [10, 10, 5]
    for bx, by in batches:
        torch.testing.assert_close(bx[:, 0], 2.0 * by.float())


def test_zero_batch_size_is_a_config_error():
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        ShardedBatchSampler(10, 0, shuffle=True)


def test_lightning_reshuffles_every_epoch():
    # Lightning calls set_epoch only on `loader.sampler`; without it every epoch would repeat
    # epoch 0's order (a bug this codebase once had).
    x = torch.arange(12, dtype=torch.float32).unsqueeze(1)
    loader = TensorBatchLoader(x, torch.zeros(12), ShardedBatchSampler(12, 4, True, seed=3))
    seen: list[list[int]] = []

    class Record(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, batch_idx):
            if batch_idx == 0:
                seen.append([])
            seen[-1] += batch[0].squeeze(1).long().tolist()
            return (self.w * batch[0]).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.0)

    trainer = pl.Trainer(
        max_epochs=3, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.fit(Record(), train_dataloaders=loader)
    expected = [
        torch.randperm(12, generator=torch.Generator().manual_seed(3 + e)).tolist()
        for e in range(3)
    ]
    assert seen == expected and seen[0] != seen[1]
