"""BatchGroups: K batches per item, and everything Lightning asks of a loader forwarded."""

import pytest
import torch

from datamodules.batch_groups import BatchGroups
from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader


def _loader(n=14, batch_size=2):
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    return TensorBatchLoader(x, x.squeeze(1).long(), ShardedBatchSampler(n, batch_size, True, 0))


def test_groups_hold_consecutive_batches_and_the_last_one_is_shorter():
    loader = _loader()  # 7 batches
    groups = list(BatchGroups(loader, 3))
    assert [len(g) for g in groups] == [3, 3, 1]
    flat = torch.cat([y for group in groups for _, y in group])
    assert torch.equal(flat, torch.cat([y for _, y in loader]))


def test_length_counts_groups_and_num_batches_counts_batches():
    groups = BatchGroups(_loader(), 3)
    assert len(groups) == 3 and groups.num_batches == 7


def test_epoch_and_resume_state_reach_the_inner_loader():
    loader = _loader()
    groups = BatchGroups(loader, 3)
    groups.sampler.set_epoch(4)
    assert loader.batch_sampler.epoch == 4
    iterator = iter(groups)
    next(iterator)
    assert groups.state_dict() == {"epoch": 4, "batches_done": 3}
    groups.load_state_dict({"epoch": 4, "batches_done": 3})
    assert [len(g) for g in groups] == [3, 1]  # the resumed pass skips the 3 batches done


@pytest.mark.parametrize("size", [0, -1, 2.0])
def test_a_bad_group_size_is_refused(size):
    with pytest.raises(ValueError, match="integer >= 1"):
        BatchGroups(_loader(), size)
