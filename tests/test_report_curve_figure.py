"""The report's curve figure: one-epoch runs are dots, not blank panels, and nothing is clipped."""

from __future__ import annotations

from run_report.curve_figure import save_curve_figure
from run_report.runs import read_run
from tests.helpers.figure_checks import (
    clipped_texts,
    colour_at,
    is_colour,
    record_saved_figures,
    unlabelled_axes,
)

# One logged step and one epoch: the run a smoke test (or a one-epoch sweep) leaves.
ONE_EPOCH = "step,epoch,train/loss,val/loss,val/acc\n24,0,0.9,,\n24,0,,0.55,0.84\n"


def _run(where, metrics: str):
    where.mkdir(parents=True)
    (where / "metrics.csv").write_text(metrics)
    return read_run(where, where.name)


def test_a_one_epoch_run_draws_a_dot_in_every_panel(tmp_path, monkeypatch):
    saved = record_saved_figures(monkeypatch)
    run = _run(tmp_path / "0", ONE_EPOCH)
    path = save_curve_figure(tmp_path / "curves.png", [run], ["lr=0.01"], "mnist_mlp")
    assert path is not None and path.is_file()
    (fig,) = saved
    assert len(fig.axes) == 4  # acc and loss, against steps and against epochs
    for ax in fig.axes:
        lines = ax.get_lines()
        assert lines, f"panel {ax.get_title()!r} is blank"
        for line in lines:
            (x,), (y,) = line.get_xdata(), line.get_ydata()
            seen = colour_at(fig, ax, x, y)
            assert is_colour(seen, line.get_color()), f"{ax.get_title()!r}: {seen} at ({x}, {y})"
        assert [t.get_text() for t in ax.get_xticklabels()] == [str(int(x))]
    assert unlabelled_axes(fig) == []
    assert clipped_texts(fig) == []


def test_no_curve_logged_writes_no_figure(tmp_path):
    run = _run(tmp_path / "0", "step,epoch\n")
    assert save_curve_figure(tmp_path / "curves.png", [run], [""], "demo") is None
    assert not (tmp_path / "curves.png").exists()
