"""Per-epoch train/val curves as PNG files in the run dir, re-drawn every epoch."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_image_files
from labkit.plots import save_curves


class MetricCurvesPlot(pl.Callback):
    """Draws one figure per metric, each with the train and val series against the epoch.

    Re-drawn at every epoch end, so a crashed run still leaves its curves; the history is kept in
    checkpoints, so a resumed run continues the same curves.

    Args:
        out_dir: folder for ``curves_<name>.png``.
        curves: ``{name: {label: metric_key}}``, e.g. ``{"loss": {"train": "train/loss_epoch",
            "val": "val/loss"}}``; a key missing in an epoch is skipped for that epoch.
    """

    def __init__(self, out_dir: str, curves: dict[str, dict[str, str]]) -> None:
        self.out_dir = Path(out_dir)
        self.curves = {name: dict(keys) for name, keys in curves.items()}
        self.history: dict[str, list[tuple[int, float]]] = {}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        epoch = trainer.current_epoch + 1
        for keys in self.curves.values():
            for key in keys.values():
                if key in metrics:
                    self.history.setdefault(key, []).append((epoch, float(metrics[key])))
        self._draw(trainer)

    @rank_zero_only
    def _draw(self, trainer: pl.Trainer) -> None:
        for name, keys in self.curves.items():
            series = {label: self.history.get(key, []) for label, key in keys.items()}
            save_curves(
                self.out_dir / f"curves_{name}.png",
                series,
                title=f"{name} per epoch",
                xlabel="epoch",
                ylabel=name,
            )

    @rank_zero_only
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        paths = [self.out_dir / f"curves_{name}.png" for name in self.curves]
        log_image_files(trainer, "plots/curves", [p for p in paths if p.exists()])

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = {k: [tuple(p) for p in v] for k, v in state_dict["history"].items()}
