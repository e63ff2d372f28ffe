"""A train_numpy.py classifier's curves.png is the figure a train.py run draws: same panels, same
0-based epochs on the x axis (as metrics.csv and summary.json count them), same labels."""

from types import SimpleNamespace

import torch

import callbacks.metric_curves as metric_curves
import numpy_experiments.classifier_plots as classifier_plots
from callbacks.metric_curves import MetricCurvesPlot
from numpy_experiments.classifier_training import EpochRecord, TrainingHistory

LOSSES = [(2.0, 1.5), (1.0, 1.25), (0.5, 1.125)]  # (train, val) per epoch
ACCURACIES = [(0.5, 0.25), (0.75, 0.5), (0.875, 0.625)]


def _recorder(draws: list):
    def record(path, panels, **kwargs):
        draws.append(({n: {k: list(v) for k, v in s.items()} for n, s in panels.items()}, kwargs))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")
        return path

    return record


def _numpy_history() -> TrainingHistory:
    history = TrainingHistory()
    for epoch, ((tl, vl), (ta, va)) in enumerate(zip(LOSSES, ACCURACIES, strict=True)):
        history.epochs.append(
            EpochRecord(epoch, 10 * (epoch + 1), 0.1, tl, ta, vl, va, None, float(epoch))
        )
    return history


def _torch_draw(tmp_path, monkeypatch) -> tuple[dict, dict]:
    draws = []
    monkeypatch.setattr(metric_curves, "save_curve_panels", _recorder(draws))
    monkeypatch.setattr(metric_curves, "log_image_files", lambda *args: None)
    # configs/callbacks/{metric_curves,classifier}.yaml's panels
    curves = {
        "loss": {"train": "train/loss_epoch", "val": "val/loss"},
        "accuracy": {"train": "train/acc", "val": "val/acc"},
    }
    plot = MetricCurvesPlot(str(tmp_path / "torch"), curves, title="run")
    trainer = SimpleNamespace()
    for epoch, ((tl, vl), (ta, va)) in enumerate(zip(LOSSES, ACCURACIES, strict=True)):
        trainer.current_epoch = epoch
        values = {"train/loss_epoch": tl, "val/loss": vl, "train/acc": ta, "val/acc": va}
        trainer.callback_metrics = {k: torch.tensor(v) for k, v in values.items()}
        plot.on_train_epoch_end(trainer, None)
    plot.on_fit_end(trainer, None)
    return draws[-1]


def test_numpy_curves_count_epochs_from_zero_like_the_torch_callback(tmp_path, monkeypatch):
    draws = []
    monkeypatch.setattr(classifier_plots, "save_curve_panels", _recorder(draws))
    path = classifier_plots.save_training_curves(_numpy_history(), tmp_path / "plots", "run")
    assert path == tmp_path / "plots" / "curves.png"
    (panels, kwargs) = draws[-1]
    assert [x for x, _ in panels["loss"]["train"]] == [0, 1, 2], "the first epoch is epoch 0"
    torch_panels, torch_kwargs = _torch_draw(tmp_path, monkeypatch)
    assert panels == torch_panels, (panels, torch_panels)
    assert kwargs == torch_kwargs, (kwargs, torch_kwargs)


def test_numpy_curves_without_a_validation_split_have_an_empty_val_series(tmp_path, monkeypatch):
    draws = []
    monkeypatch.setattr(classifier_plots, "save_curve_panels", _recorder(draws))
    history = _numpy_history()
    for record in history.epochs:
        record.val_loss = record.val_acc = None
    classifier_plots.save_training_curves(history, tmp_path, "run")
    (panels, _) = draws[-1]
    assert panels["accuracy"] == {"train": [(0, 0.5), (1, 0.75), (2, 0.875)], "val": []}
