"""metrics.csv in the run dir, continued rather than deleted when the run resumes from a checkpoint."""

from __future__ import annotations

import csv
import io
import warnings
from argparse import Namespace
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities import rank_zero_only
from torch import Tensor

from labkit.atomic_files import append_whole, atomic_open


class ResumableCSVLogger(Logger):
    """Every logged metric as rows of ``<save_dir>/metrics.csv``, the layout of Lightning's CSVLogger.

    One row per logging call: ``step`` (Lightning's logging step) and the metrics logged then;
    the columns are the sorted union
    of all names logged so far. Each row reaches the file when it is logged, so a killed run
    loses none of them.

    Lightning's CSVLogger deletes an existing metrics.csv whenever its folder is not empty,
    which a Hydra run dir never is (it holds ``.hydra/``); that lost a resumed run's record.
    With ``resume=True`` this one continues the file: a run resumed from a checkpoint logs
    again from the step after it, so at its first row, at step S, the rows at steps >= S at the
    end of the file (logged by the crashed run after its checkpoint) are dropped and the
    resumed run's rows take their place. What the crashed run logged up to the checkpoint stays,
    including the rows logged right after the save for the steps before S (that batch's
    ``train/loss``, the epoch's training aggregates), which the resumed run does not repeat.
    Without ``resume``, an existing metrics.csv (an earlier run in the same dir) is replaced,
    with a warning.

    Args:
        save_dir: the run dir.
        resume: continue the metrics.csv already there (the run's ``resume=true``).
    """

    FILE_NAME = "metrics.csv"

    def __init__(self, save_dir: str, resume: bool = False) -> None:
        super().__init__()
        self._save_dir = str(save_dir)
        self.path = Path(save_dir) / self.FILE_NAME
        self.resume = resume
        self._columns: list[str] | None = None  # None until this run has started its file

    @property
    def name(self) -> str:
        return ""

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def log_dir(self) -> str:
        return self._save_dir

    @rank_zero_only
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        """Nothing to write: the run's whole config is in ``.hydra/config.yaml`` beside this file."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float | Tensor], step: int | None = None) -> None:
        row = {k: v.item() if isinstance(v, Tensor) else v for k, v in metrics.items()}
        row["step"] = step if step is not None else self._count_rows()
        if self._columns is None:
            self._start_file(row["step"])
        if row.keys() <= set(self._columns):
            self._append(row)
        else:  # a new column: the header changes, so the file is written again
            _, rows = self._read()
            self._rewrite(sorted(set(self._columns) | row.keys()), [*rows, row])

    def _append(self, row: dict) -> None:
        """Add one whole row (``append_whole``); a changed header is a rewrite (``_rewrite``)."""
        text = io.StringIO()
        csv.DictWriter(text, fieldnames=self._columns).writerow(row)
        append_whole(self.path, text.getvalue())

    def _start_file(self, step: int) -> None:
        columns, rows = self._read()
        if self.resume:
            while rows and float(rows[-1]["step"]) >= step:
                rows.pop()  # logged after the checkpoint: this run logs that step again
        elif rows:
            warnings.warn(
                f"{self.path} holds the metrics of an earlier run in this dir; this run "
                "replaces them. To continue that run instead, add resume=true.",
                stacklevel=3,
            )
            columns, rows = [], []
        self._rewrite(columns, rows)

    def _read(self) -> tuple[list[str], list[dict[str, str]]]:
        if not self.path.is_file():
            return [], []
        with self.path.open(newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows

    def _count_rows(self) -> int:
        return len(self._read()[1])

    def _rewrite(self, columns: list[str], rows: list[dict]) -> None:
        """Replace the file in one step (written beside it, then renamed): a kill keeps one or the other."""
        with atomic_open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            if columns:
                writer.writeheader()
            writer.writerows(rows)
        self._columns = columns
