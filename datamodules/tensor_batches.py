"""Mini-batches sliced from in-memory tensors: no per-sample Python, no collate.

A ``DataLoader`` over a ``TensorDataset`` indexes and collates sample by sample; slicing whole
batches out of one tensor costs one gather per batch instead. Lightning accepts any sized iterable
as a dataloader and calls ``set_epoch`` on its ``sampler`` at every epoch start, so shuffling stays
reproducible per epoch (and after a resume) and each DDP rank reads its own disjoint shard.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from labkit.errors import ConfigError


class ShardedBatchSampler:
    """Yields index tensors of one batch each, for this rank's shard of ``num_samples`` indices.

    Every epoch draws a permutation from ``seed + epoch`` (the same on all ranks), then rank ``r`` of
    ``world_size`` keeps positions ``r, r + world_size, ...``: shards are disjoint and cover every
    sample once, with no padding, so synced metrics equal a single-process run's.
    """

    def __init__(
        self,
        num_samples: int,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
    ) -> None:
        if batch_size <= 0:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size}.")
        if not 0 <= rank < world_size:
            raise ConfigError(f"rank {rank} is outside world_size {world_size}.")
        self.num_samples, self.batch_size, self.shuffle = num_samples, batch_size, shuffle
        self.seed, self.rank, self.world_size, self.drop_last = seed, rank, world_size, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _shard_size(self) -> int:
        return len(range(self.rank, self.num_samples, self.world_size))

    def __len__(self) -> int:
        n = self._shard_size()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.num_samples, generator=g)
        else:
            order = torch.arange(self.num_samples)
        order = order[self.rank :: self.world_size]
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]


class TensorBatchLoader:
    """Iterable of ``(x[idx], y[idx])`` batches; ``x: (N, ...)``, ``y: (N, ...)``.

    Sequential batches are plain slices (views, no copy); shuffled ones one ``index_select`` each.
    Resumable mid-epoch: ``state_dict()`` records how many batches of the current pass were handed
    out, and after ``load_state_dict()`` the next pass skips them. Lightning saves and restores this
    state with its checkpoints, and fetches sized loaders without prefetching, so "handed out" is
    "trained on".
    """

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, batch_sampler: ShardedBatchSampler
    ) -> None:
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}.")
        self.x, self.y, self.batch_sampler = x, y, batch_sampler
        self._yielded = 0
        self._skip = 0

    def __len__(self) -> int:
        return len(self.batch_sampler)

    @property
    def sampler(self) -> ShardedBatchSampler:
        """Where Lightning looks for ``set_epoch`` (it never looks at ``batch_sampler`` itself)."""
        return self.batch_sampler

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.batch_sampler.epoch, "batches_done": self._yielded}

    def load_state_dict(self, state: dict[str, int]) -> None:
        # A checkpoint taken after the last batch resumes at the start of the next epoch.
        done = state["batches_done"]
        self._skip = done if done < len(self) else 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        contiguous = not self.batch_sampler.shuffle and self.batch_sampler.world_size == 1
        skip, self._skip = self._skip, 0
        self._yielded = skip
        for i, idx in enumerate(self.batch_sampler):
            if i < skip:
                continue
            self._yielded += 1
            if contiguous:
                start = int(idx[0])
                yield self.x[start : start + len(idx)], self.y[start : start + len(idx)]
            else:
                yield self.x[idx], self.y[idx]
