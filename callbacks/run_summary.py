"""The closing table of a run: on the terminal, as summary.json, and as a W&B table."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_table, set_summary
from labkit.results_table import print_results_table


class RunSummary(pl.Callback):
    """After testing, shows test metrics, epochs trained, wall time (fit start to test end), run dir.

    Args:
        out_dir: the run dir; ``summary.json`` is written there.
        title: heading of the table (the experiment's name).
    """

    def __init__(self, out_dir: str, title: str) -> None:
        self.out_dir = Path(out_dir)
        self.title = title
        self.start: float | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.perf_counter()

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        wall = time.perf_counter() - self.start if self.start is not None else float("nan")
        metrics = {
            k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")
        }
        summary = {
            **metrics,
            "epochs": trainer.current_epoch,
            "wall_time_s": round(wall, 2),
            "run_dir": str(self.out_dir.resolve()),
        }
        (self.out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

        print_results_table(self.title, summary)
        rows = [[k, str(v)] for k, v in summary.items()]
        log_table(trainer, "final_metrics", columns=["metric", "value"], rows=rows)
        set_summary(trainer, {f"final/{k}": v for k, v in metrics.items()})
