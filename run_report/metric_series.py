"""A run's metrics.csv (Lightning's CSVLogger: a row per logging call, a column per metric) as curves."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Metrics that are figures about the run rather than curves to compare.
NOT_CURVES = ("model/", "run/", "test/")


@dataclass(frozen=True)
class Point:
    """One logged value: ``step`` counts optimizer steps, ``epoch`` is 0-based (None if unknown)."""

    step: int
    epoch: int | None
    value: float


@dataclass
class MetricSeries:
    """Every metric of one run: ``points[name]`` in the order logged."""

    points: dict[str, list[Point]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.points)

    def last(self, name: str) -> float | None:
        """The last value of ``name``, None when it was never logged."""
        series = self.points.get(name)
        return series[-1].value if series else None

    def is_per_step(self, name: str) -> bool:
        """Logged more than once in some epoch (``train/loss``), not once per epoch (``val/loss``)."""
        epochs = [p.epoch for p in self.points.get(name, [])]
        return len(epochs) != len(set(epochs))

    def against_step(self, name: str) -> list[tuple[float, float]]:
        return [(p.step, p.value) for p in self.points.get(name, [])]

    def against_epoch(self, name: str) -> list[tuple[float, float]]:
        """``(epoch, value)``, the epoch 0-based as in metrics.csv; a per-step metric is averaged
        over each epoch."""
        by_epoch: dict[int, list[float]] = defaultdict(list)
        for p in self.points.get(name, []):
            if p.epoch is not None:
                by_epoch[p.epoch].append(p.value)
        return [(epoch, sum(v) / len(v)) for epoch, v in sorted(by_epoch.items())]

    def curve_names(self) -> list[str]:
        """Metrics that make curves (a one-epoch run's are single points): not test figures or counts."""
        return [n for n in self.points if "/" in n and not n.startswith(NOT_CURVES)]


def read_metric_series(path: Path) -> MetricSeries:
    """Read ``metrics.csv``; its ``step`` column is Lightning's optimizer-step axis, as logged.

    Empty, non-numeric and non-finite cells are skipped (a diverged run's NaN has no place on an
    axis).
    """
    series = MetricSeries()
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            step = _number(row.get("step"))
            epoch = _number(row.get("epoch"))
            for name, cell in row.items():
                if name in ("step", "epoch") or name is None:
                    continue
                value = _number(cell)
                if value is None:
                    continue
                series.points.setdefault(name, []).append(
                    Point(
                        step=int(step or 0),
                        epoch=None if epoch is None else int(epoch),
                        value=value,
                    )
                )
    return series


def _number(cell: str | None) -> float | None:
    if cell is None or cell == "":
        return None
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
