"""Batches sliced from tensors: shapes, per-epoch shuffling, and disjoint DDP shards."""

import pytest
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
