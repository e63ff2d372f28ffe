"""The closing table of a run: on the terminal, as summary.json, and as a W&B table."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only
from torchmetrics import MinMetric

from callbacks.wandb_media import log_table, set_summary
from figures.results_table import print_results_table
from labkit.run_record import record_finished
from nets.parameter_count import count_parameters

# Test metrics and training times, the torch side's and a NumPy twin's (callbacks/numpy_twin_training).
SUMMARY_KEYS = ("test/", "time/", "numpy/test/", "numpy/time/")


class RunSummary(pl.Callback):
    """After testing: test metrics, epochs trained, parameters, wall time, the checkpoint tested.

    ``status`` is ``finished`` (a run that fails writes ``{"status": "failed", "error": ...}``
    instead, see ``labkit.training``); ``params_total`` counts the model's parameters.

    ``job`` is ``train`` for a run that fitted and ``eval`` for one that only tested a
    checkpoint (``train=false``); ``checkpoint`` is the one tested: the one the test loaded
    after a fit, the given one in an evaluation. A training run's wall time goes from the start of fitting to
    the end of the test; for a resumed run it adds the time up to the checkpoint it resumed from
    (kept in checkpoints), so the work lost after that checkpoint, which the resume repeats, is
    counted once. An evaluation's wall time is its test alone.

    A training run also records the validation metrics (``val/acc``, ``val/loss``, ...) of its
    best epoch by the module's monitor, i.e. of the checkpoint the test loaded, and that epoch
    as ``best_epoch`` (0-based), so that a sweep's runs compare on validation figures.

    Args:
        out_dir: the run dir; ``summary.json`` is written there.
        title: heading of the table (the experiment's name).
        evaluated: the checkpoint an evaluation tests (the run's ``ckpt_path``).
    """

    def __init__(self, out_dir: str, title: str, evaluated: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.title = title
        self.evaluated = evaluated
        self.start: float | None = None  # when this process started fitting (or testing)
        self.fitted = False
        self.earlier_s = 0.0  # wall time of the run up to the checkpoint it resumed from
        self._restored_s = 0.0  # from the last checkpoint loaded (the test loads best.ckpt too)
        self.best_val: dict[str, float] = {}  # val/* of the best epoch, and best_epoch

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start, self.fitted = time.perf_counter(), True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.earlier_s = self._restored_s  # by now any checkpoint to resume from is loaded

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.fitted:
            self.start = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        values = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        monitor = getattr(pl_module, "monitor", "val/loss")
        if monitor not in values:
            return
        lower_is_better = isinstance(getattr(pl_module, "best_monitor", None), MinMetric)
        best = self.best_val.get(monitor)
        if best is None or (values[monitor] < best if lower_is_better else values[monitor] > best):
            values.pop(f"{monitor}_best", None)
            self.best_val = {**values, "best_epoch": trainer.current_epoch}

    def _wall_time(self) -> float:
        return self.earlier_s + (time.perf_counter() - self.start if self.start else 0.0)

    def state_dict(self) -> dict[str, Any]:
        return {"wall_time_s": self._wall_time(), "best_val": self.best_val}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored_s = state_dict["wall_time_s"]
        self.best_val = dict(state_dict.get("best_val", {}))

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {
            k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(SUMMARY_KEYS)
        }
        tested = trainer.ckpt_path if self.fitted else self.evaluated
        summary = record_finished(
            self.out_dir,
            metrics,
            job="train" if self.fitted else "eval",
            epochs=trainer.current_epoch,
            params_total=count_parameters(pl_module),
            wall_time_s=self._wall_time(),
            # Relative to the run dir when it is inside it: the record stays true when the dir moves.
            checkpoint=_relative_to(tested, self.out_dir) if tested else None,
            best=self.best_val if self.fitted else None,
        )

        print_results_table(self.title, summary)
        rows = [[k, str(v)] for k, v in summary.items()]
        log_table(trainer, "final_metrics", columns=["metric", "value"], rows=rows)
        set_summary(trainer, {f"final/{k}": v for k, v in metrics.items()})


def _relative_to(path: str, folder: Path) -> str:
    resolved, folder = Path(path).resolve(), folder.resolve()
    return os.path.relpath(resolved, folder) if resolved.is_relative_to(folder) else str(resolved)
