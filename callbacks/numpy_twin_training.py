"""Train the net's numpy_ref twin side by side: same initial weights, same batches, same optimiser."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only

from callbacks.wandb_media import log_image_files
from figures.curves import save_curves
from labkit.errors import ConfigError
from numpy_bridge.optimizer import numpy_optimizer
from numpy_bridge.twin import NumpyTwin, build_twin
from numpy_ref.optim import Optimizer
from numpy_ref.training import evaluate, train_step

# The torch metric each twin curve is drawn beside, and the file it goes to.
PLOTS = {
    "train_loss": ("training loss", "train/loss_epoch", "numpy/train/loss_epoch"),
    "val_acc": ("validation accuracy", "val/acc", "numpy/val/acc"),
}


class NumpyTwinTraining(pl.Callback):
    """The NumPy twin of a classifier's net, trained on the very batches the net trains on.

    At the start of training the twin (float32, ``numpy_bridge``) takes the net's initial
    weights and an optimiser with the torch optimiser's rule and settings; before every optimizer
    step it takes one step of its own on the same batch (``x: (B, C, H, W)`` flattened,
    ``y: (B,)``) at the torch optimiser's current learning rate. Each epoch it is evaluated on the
    DataModule's validation split (the same images and normalisation); the test uses its weights
    of the best validation accuracy, as the torch side tests its best checkpoint.

    Logged beside the torch metrics under the same names with a ``numpy/`` prefix:
    ``numpy/train/loss_epoch``, ``numpy/train/acc``, ``numpy/val/loss``, ``numpy/val/acc``,
    ``numpy/test/loss``, ``numpy/test/acc``; and the training times ``numpy/time/train_s`` (the
    twin's steps and validation) and ``time/train_s`` (the torch side's epochs, the twin's time
    taken out). Plots: ``plots/torch_vs_numpy_train_loss.png`` and
    ``plots/torch_vs_numpy_val_acc.png``, both sides on the same axes.

    An observer: the net, its optimiser and every random generator are left alone. One device
    only (the twin sees one process's batches), one optimizer step per batch (no gradient
    accumulation or clipping, which the twin does not mirror).

    Args:
        out_dir: folder for the plots.
        title: plot title (the experiment's name).
        eval_batch_size: batch size of the twin's evaluation.
    """

    def __init__(self, out_dir: str, title: str, eval_batch_size: int = 2000) -> None:
        self.out_dir, self.title, self.eval_batch_size = Path(out_dir), title, eval_batch_size
        self.twin: NumpyTwin | None = None
        self.optimizer: Optimizer | None = None
        self.history: dict[str, list[tuple[int, float]]] = {}
        self.best: tuple[float, dict[str, np.ndarray]] | None = None
        self.twin_s = 0.0  # the twin's training and validation time
        self.twin_in_epochs_s = 0.0  # the part of it spent inside training epochs
        self.epochs_s = 0.0  # training epochs (validation included), twin included
        self._epoch_start = 0.0
        self._sums = [0.0, 0, 0]  # loss·samples, correct, samples of the current epoch

    # -- set-up ---------------------------------------------------------------------------------

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.world_size > 1:
            raise ConfigError(
                "NumpyTwinTraining trains the twin on one process's batches; run it on one "
                "device (trainer.devices=1) or drop callbacks.numpy_twin."
            )
        accumulate = getattr(pl_module, "accumulate_grad_batches", 1)
        clip = getattr(pl_module, "gradient_clip_val", None) or trainer.gradient_clip_val
        if trainer.accumulate_grad_batches > 1 or accumulate > 1 or clip:
            raise ConfigError(
                "NumpyTwinTraining mirrors one plain optimizer step per batch; unset "
                "trainer.accumulate_grad_batches and trainer.gradient_clip_val."
            )
        self.twin = build_twin(pl_module.net, np.float32)
        self.optimizer = numpy_optimizer(trainer.optimizers[0], self.twin)

    # -- training -------------------------------------------------------------------------------

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch_start = time.perf_counter()
        self._sums = [0.0, 0, 0]

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int
    ) -> None:
        start = time.perf_counter()
        lr = trainer.optimizers[0].param_groups[0]["lr"]
        x, y = batch
        x_np = self.twin.prepare_input(_numpy(x))
        y_np = _numpy(y)
        self.optimizer.lr = lr
        loss, logits = train_step(self.twin.model, self.optimizer, x_np, y_np)
        self._sums[0] += loss * len(y_np)
        self._sums[1] += int(np.count_nonzero(logits.argmax(axis=1) == y_np))
        self._sums[2] += len(y_np)
        spent = time.perf_counter() - start
        self.twin_s += spent
        self.twin_in_epochs_s += spent

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or self.twin is None:
            return
        start = time.perf_counter()
        loss, acc = self._evaluate(trainer, "val")
        if self.best is None or acc > self.best[0]:
            self.best = (acc, self.twin.model.state_dict())
        self._log(pl_module, {"numpy/val/loss": loss, "numpy/val/acc": acc})
        self.history.setdefault("numpy/val/acc", []).append((trainer.current_epoch, acc))
        spent = time.perf_counter() - start
        self.twin_s += spent
        self.twin_in_epochs_s += spent

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.epochs_s += time.perf_counter() - self._epoch_start
        epoch = trainer.current_epoch  # 0-based, as in metrics.csv
        loss_sum, correct, count = self._sums
        if count:
            self._log(
                pl_module,
                {"numpy/train/loss_epoch": loss_sum / count, "numpy/train/acc": correct / count},
            )
            self.history.setdefault("numpy/train/loss_epoch", []).append((epoch, loss_sum / count))
        # The torch side's values of this epoch are in by now (validation ran before this hook).
        metrics = trainer.callback_metrics
        for _, torch_key, _ in PLOTS.values():
            if torch_key in metrics:
                self.history.setdefault(torch_key, []).append((epoch, float(metrics[torch_key])))

    # -- test and results -----------------------------------------------------------------------

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.twin is None:
            return
        if self.best is not None:
            self.twin.model.load_state_dict(self.best[1])
        loss, acc = self._evaluate(trainer, "test")
        self._log(
            pl_module,
            {
                "numpy/test/loss": loss,
                "numpy/test/acc": acc,
                "numpy/time/train_s": self.twin_s,
                "time/train_s": self.epochs_s - self.twin_in_epochs_s,
            },
        )

    @rank_zero_only
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        paths = []
        for name, (label, torch_key, numpy_key) in PLOTS.items():
            series = {
                "torch": self.history.get(torch_key, []),
                "NumPy twin": self.history.get(numpy_key, []),
            }
            path = self.out_dir / f"torch_vs_numpy_{name}.png"
            save_curves(path, series, f"{self.title}: {label}", "epoch", label)
            paths.append(path)
        log_image_files(trainer, "plots/torch_vs_numpy", paths)

    def _evaluate(self, trainer: pl.Trainer, split: str) -> tuple[float, float]:
        x, y = trainer.datamodule.splits[split]
        x_np = self.twin.prepare_input(_numpy(x))
        return evaluate(self.twin.model, x_np, _numpy(y), self.eval_batch_size)

    def _log(self, pl_module: pl.LightningModule, values: dict[str, float]) -> None:
        # batch_size=1: one already-averaged value per epoch, like the base module's epoch metrics.
        for key, value in values.items():
            pl_module.log(key, float(value), on_step=False, on_epoch=True, batch_size=1)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()
