"""Per-epoch train/val curves, as one PNG in the run dir."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_image_files
from figures.curves import save_curve_panels


class MetricCurvesPlot(pl.Callback):
    """One figure, a panel per metric, each with its train and val series against the epoch.

    Drawn every ``every_n_epochs`` epochs, at the end of fitting, and when fitting fails, so a
    crashed run keeps its curves; the history is saved in checkpoints, so a resumed run continues
    the same curves. (Every figure costs a fraction of a second: for short epochs keep N > 1.)

    Args:
        out_dir: folder for ``curves.png``.
        curves: ``{panel: {label: metric_key}}``, e.g. ``{"loss": {"train": "train/loss_epoch",
            "val": "val/loss"}}``; a key missing in an epoch is skipped for that epoch.
        title: figure title (the experiment's name).
        every_n_epochs: redraw interval during fitting.
    """

    def __init__(
        self, out_dir: str, curves: dict[str, dict[str, str]], title: str, every_n_epochs: int = 1
    ) -> None:
        self.path = Path(out_dir) / "curves.png"
        self.curves = {name: dict(keys) for name, keys in curves.items()}
        self.title, self.every_n_epochs = title, every_n_epochs
        self.history: dict[str, list[tuple[int, float]]] = {}
        self._drawn_points = -1  # points in the history when curves.png was last drawn

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        epoch = trainer.current_epoch  # 0-based, as in metrics.csv and summary.json
        for keys in self.curves.values():
            for key in keys.values():
                if key in metrics:
                    self.history.setdefault(key, []).append((epoch, float(metrics[key])))
        if (epoch + 1) % self.every_n_epochs == 0:
            self._draw()

    @rank_zero_only
    def _draw(self) -> None:
        points = sum(len(series) for series in self.history.values())
        if points == self._drawn_points and self.path.exists():
            return  # e.g. at the end of a run whose last epoch was an every_n_epochs one
        self._drawn_points = points
        panels = {
            name: {label: self.history.get(key, []) for label, key in keys.items()}
            for name, keys in self.curves.items()
        }
        save_curve_panels(
            self.path,
            panels,
            xlabel="epoch",
            ylabels={n: n for n in panels},
            suptitle=f"{self.title}: per-epoch curves",
        )

    @rank_zero_only
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._draw()
        log_image_files(trainer, "plots/curves", [self.path])

    def on_exception(self, trainer: pl.Trainer, pl_module, exception: BaseException) -> None:
        if self.history:
            self._draw()

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = {k: [tuple(p) for p in v] for k, v in state_dict["history"].items()}
