"""Which intermediates a ``forward_intermediates`` call takes, with timm's meaning of ``indices``.

timm's nets (its ``feature_take_indices``) read ``indices`` as: ``None``, every
intermediate; an int ``n``, the last ``n``; a sequence, those positions (negative ones count from
the end). The intermediates come back in the net's order, whatever the order of ``indices``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def take_indices(count: int, indices: int | Sequence[int] | None) -> tuple[list[int], int]:
    """``(positions to keep, sorted; the last of them)`` among ``count`` intermediates.

    ValueError, naming the valid range, for an empty selection or a position outside the net.
    """
    if indices is None:
        indices = count
    if isinstance(indices, bool) or not isinstance(indices, int | Sequence):
        raise ValueError(
            f"indices must be None, an int or a list of ints, got {indices!r}; e.g. indices=2 "
            f"for the last two of the {count} intermediates."
        )
    if isinstance(indices, int):
        if not 1 <= indices <= count:
            raise ValueError(
                f"indices={indices} asks for the last {indices} intermediates; this net has "
                f"{count}, so use 1 to {count} (or None for all)."
            )
        taken = list(range(count - indices, count))
    else:
        bad = [i for i in indices if isinstance(i, bool) or not isinstance(i, int)]
        outside = [i for i in indices if i not in bad and not -count <= i < count]
        if not indices or bad or outside:
            raise ValueError(
                f"indices={list(indices)} must name positions 0 to {count - 1} (or -{count} to -1) "
                f"of this net's {count} intermediates, at least one."
            )
        taken = sorted({i % count for i in indices})
    return taken, taken[-1]


def sequential_intermediates(
    layers: nn.Sequential,
    block_ends: Sequence[int],
    x: torch.Tensor,
    indices: int | Sequence[int] | None,
    stop_early: bool,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Runs ``layers`` on ``x`` and keeps the output of the blocks ``indices`` picks.

    Block ``b`` ends with layer ``block_ends[b]`` (positions in ``layers``, increasing). Returns
    ``(output of the last layer run, kept block outputs)``: every layer runs unless ``stop_early``,
    which stops after the last kept block.
    """
    taken, last = take_indices(len(block_ends), indices)
    wanted = {block_ends[b] for b in taken}
    stop = block_ends[last] + 1 if stop_early else len(layers)
    intermediates = []
    for position, layer in enumerate(layers[:stop]):
        x = layer(x)
        if position in wanted:
            intermediates.append(x)
    return x, intermediates
