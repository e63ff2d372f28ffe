"""A grid of test images captioned with predicted vs true labels."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only

from callbacks.first_test_batch_figure import FirstTestBatchFigure
from callbacks.sample_grid import caption_labels
from callbacks.wandb_media import log_image_files
from datamodules.background_load import start_in_background
from figures.image_grids import save_image_grid


class PredictionGrid(FirstTestBatchFigure):
    """Captions the first ``num_images`` images of the first test batch ``pred / true``.

    Predictions come from the module's ``predict_labels(x)``: ``(N,)`` classes, or ``(N, T)``
    for T tasks (captioned ``3 | 7``). Wrong predictions (any task wrong) are captioned in red. Class names come from the datamodule's
    ``class_names`` when it has them. Writes ``<out_dir>/test_predictions.png``.
    """

    def __init__(self, out_dir: str, num_images: int = 25) -> None:
        super().__init__(num_images)
        self.out_dir = Path(out_dir)
        self._drawing: Future | None = None  # the grid being drawn, from the first test batch

    def draw(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, x: torch.Tensor, y: torch.Tensor
    ) -> None:
        preds = pl_module.predict_labels(x)
        names = getattr(trainer.datamodule, "class_names", None)
        captions = [
            f"pred {p}\ntrue {t}"
            for p, t in zip(caption_labels(preds, names), caption_labels(y, names), strict=True)
        ]
        colors = ["black" if torch.equal(p, t) else "red" for p, t in zip(preds, y, strict=True)]
        # Drawn while the rest of the test set runs; on_test_end waits. The overlap pays where
        # the test runs on a GPU; on a CPU matplotlib and the test share the cores.
        self._drawing = start_in_background(
            save_image_grid,
            self.out_dir / "test_predictions.png",
            x.float().cpu().numpy(),
            captions,
            title="Test images: predicted vs true label (wrong in red)",
            caption_colors=colors,
            name="labkit-grid",
        )

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._drawing is not None:
            drawing, self._drawing = self._drawing, None
            log_image_files(trainer, "plots/test_predictions", [drawing.result()])

    def on_exception(self, trainer: pl.Trainer, pl_module, exception: BaseException) -> None:
        if self._drawing is not None:  # let the figure be finished; the run's error comes first
            self._drawing.exception()
            self._drawing = None
