"""One stage's per-batch statistics, kept as the steps produce them and reduced once per epoch."""

from __future__ import annotations

import torch


class EpochRecords:
    """One stage's per-batch statistics (detached means) and batch sizes, as the steps produce them."""

    def __init__(self) -> None:
        self.values: list[torch.Tensor] = []
        self.sizes: list[int] = []

    def add(self, values: torch.Tensor, size: int) -> None:
        self.values.append(values)
        self.sizes.append(size)

    def means(self) -> tuple[torch.Tensor, int]:
        """Sample-weighted mean of every statistic, ``(S,)``, and the number of samples."""
        sizes = torch.tensor(self.sizes, dtype=torch.float32, device=self.values[0].device)
        count = sum(self.sizes)
        return (torch.stack(self.values).float() * sizes[:, None]).sum(0) / count, count
