"""The one plot style: nothing clipped, every axis labelled, a one-point series visible."""

from __future__ import annotations

import numpy as np
import pytest

from figures.curves import save_curve_panels, save_curves
from figures.error_bars import save_error_bars
from figures.image_grids import save_image_grid
from figures.scatter import save_scatter
from tests.helpers.figure_checks import (
    clipped_texts,
    colour_at,
    is_colour,
    record_saved_figures,
    unlabelled_axes,
)

# Tick labels as wide as a parity curve's (0.5123450): with fixed margins they pushed the
# y-label off the canvas.
TWIN_LOSS = {"torch": [(1, 0.512345), (2, 0.4)], "NumPy twin": [(1, 0.512346), (2, 0.4000001)]}


def _draw_every_kind(tmp_path):
    save_curves(
        tmp_path / "torch_vs_numpy_train_loss.png",
        TWIN_LOSS,
        "mnist_mlp (torch vs NumPy): training loss",
        "epoch",
        "training loss",
    )
    # A log axis spanning less than a decade labels its minor ticks (6×10⁻¹): wide labels that
    # once pushed "loss" to "oss".
    save_curves(
        tmp_path / "loss.png",
        {"train": [(0.5, 0.9), (1, 0.5), (2, 0.3)], "test": [(1, 0.55), (2, 0.35)]},
        "numpy_mlp: cross-entropy loss",
        "epoch",
        "loss",
        logy=True,
    )
    save_curve_panels(
        tmp_path / "curves.png",
        {
            "loss": {"train": [(1, 2.3), (2, 0.4)], "val": [(1, 2.2), (2, 0.5)]},
            "validation accuracy": {"val": [(1, 0.91234), (2, 0.95678)]},
            "accuracy": {"train": [(1, 1e-5), (2, 0.99)]},
        },
        "epoch",
        {"loss": "loss", "validation accuracy": "validation accuracy", "accuracy": "accuracy"},
        suptitle="a_long_experiment_name_with_underscores: per-epoch curves",
    )
    save_image_grid(
        tmp_path / "grid.png",
        np.random.default_rng(0).random((3, 1, 8, 8)),
        ["pred 3 (true 5)", "a caption far wider than its tile", "pred 7"],
        "test predictions",
    )
    save_scatter(
        tmp_path / "scatter.png",
        np.random.default_rng(0).normal(size=(50, 2)),
        np.arange(50) % 3,
        "latent codes",
        "code 1",
        "code 2",
        label_names=["zero", "one", "two"],
        legend_title="digit",
    )
    save_error_bars(
        tmp_path / "bars.png",
        [f"features.{i}" for i in range(13)],
        np.linspace(0.5, 0.95, 13),
        np.full(13, 0.03),
        "probe accuracy per block",
        "accuracy",
        threshold=0.9,
        xlabel="block",
    )


def test_no_text_of_any_figure_reaches_past_its_canvas(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    _draw_every_kind(tmp_path)
    assert len(saved) == 6
    for fig in saved:
        assert clipped_texts(fig) == []


def test_every_axis_of_every_figure_is_labelled(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    _draw_every_kind(tmp_path)
    for fig in saved:
        assert unlabelled_axes(fig) == []
    twin_loss = saved[0].axes[0]
    assert twin_loss.get_ylabel() == "training loss"


@pytest.mark.parametrize("empty", ["title", "xlabel", "ylabel"])
def test_a_curve_without_a_title_or_an_axis_label_is_refused(tmp_path, empty):
    texts = {"title": "training loss", "xlabel": "epoch", "ylabel": "loss", empty: " "}
    with pytest.raises(ValueError, match=empty):
        save_curves(tmp_path / "c.png", {"train": [(1, 0.5)]}, **texts)
    assert not (tmp_path / "c.png").exists()


def test_a_series_of_one_point_is_drawn_as_a_visible_dot(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    path = save_curves(tmp_path / "one.png", {"train": [(1, 0.25)]}, "loss", "epoch", "loss")
    assert path.stat().st_size > 0
    (ax,) = saved[0].axes
    (line,) = ax.get_lines()
    assert is_colour(colour_at(saved[0], ax, 1, 0.25), line.get_color())
    # One tick, at the one epoch (not 0.945 ... 1.05).
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1"]


def test_a_dollar_in_a_label_is_drawn_as_written(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    save_curves(tmp_path / "d.png", {"lr=$1": [(1, 0.5)]}, "cost in $", "epoch", "$ per step")
    ax = saved[0].axes[0]
    texts = [ax.get_title(), ax.get_ylabel(), ax.get_legend().get_texts()[0].get_text()]
    assert texts == [r"cost in \$", r"\$ per step", r"lr=\$1"]
