"""MetricCurvesPlot: collects each epoch's values, draws every N epochs and at the end, never twice
for the same history."""

from types import SimpleNamespace

import torch

import callbacks.metric_curves as metric_curves
from callbacks.metric_curves import MetricCurvesPlot


def _epoch(plot, trainer, epoch, loss):
    trainer.current_epoch = epoch
    trainer.callback_metrics = {"train/loss_epoch": torch.tensor(loss)}
    plot.on_train_epoch_end(trainer, None)


def test_curves_are_drawn_every_n_epochs_and_at_the_end_but_not_twice_for_one_history(
    tmp_path, monkeypatch
):
    draws = []

    def record(path, panels, **kwargs):
        draws.append({name: dict(series) for name, series in panels.items()})
        path.write_bytes(b"png")
        return path

    monkeypatch.setattr(metric_curves, "save_curve_panels", record)
    monkeypatch.setattr(metric_curves, "log_image_files", lambda *args: None)
    plot = MetricCurvesPlot(
        str(tmp_path), {"loss": {"train": "train/loss_epoch"}}, title="t", every_n_epochs=2
    )
    trainer = SimpleNamespace()
    for epoch, loss in enumerate([0.5, 0.25, 0.125, 0.0625]):
        _epoch(plot, trainer, epoch, loss)
    assert len(draws) == 2  # after epochs 1 and 3 (0-based, as in metrics.csv)
    assert draws[-1]["loss"]["train"] == [(0, 0.5), (1, 0.25), (2, 0.125), (3, 0.0625)]
    plot.on_fit_end(trainer, None)  # the history has not changed since epoch 3
    assert len(draws) == 2
    _epoch(plot, trainer, 4, 0.03125)
    plot.on_fit_end(trainer, None)  # the fifth epoch is not a multiple of 2: the end draws it
    assert len(draws) == 3 and draws[-1]["loss"]["train"][-1] == (4, 0.03125)
    (tmp_path / "curves.png").unlink()
    plot.on_fit_end(trainer, None)  # a missing file is drawn again
    assert len(draws) == 4
