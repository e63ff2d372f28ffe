"""NaN/inf figures stop a NumPy experiment with one error; every file a runner writes is atomic."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from omegaconf import OmegaConf

from labkit.atomic_files import PART_SUFFIX
from numpy_experiments.classifier_training import train_classifier
from numpy_experiments.linear_ae_experiment import (
    check_results_are_finite,
    compute_results,
    results_markdown,
    save_plots,
)
from numpy_experiments.nonfinite import (
    NonFiniteResultError,
    check_finite,
    check_report_is_finite,
)
from numpy_experiments.ulu_exercise import autoencoder_plots
from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
from numpy_experiments.ulu_exercise.linear_autoencoder import train_autoencoder
from numpy_ref.lr_schedules import make_lr_schedule
from numpy_ref.optim import SGD
from numpy_ref.sequential import MLP
from tests.helpers.synthetic_points import two_plane_points
from tests.numpy_experiments.test_numpy_classifier_training import _arrays

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "experiment" / "numpy_linear_ae.yaml"


def _settings(**sweep):
    settings = OmegaConf.load(CONFIG).linear_ae
    settings.lr_sweep.num_lrs = 3
    settings.bottleneck.steps = settings.dropout.steps = 40
    settings.lr_sweep.update(sweep)
    return settings


@pytest.fixture(scope="module")
def points():
    return two_plane_points(400, np.random.default_rng(0))[0]


def test_a_diverging_autoencoder_raises_at_the_first_nonfinite_loss_naming_step_and_lr(points):
    normaliser = fit_normaliser(points, "whiten")
    # errstate "raise": no overflow warning (here an error) escapes before the loss is checked
    with pytest.raises(NonFiniteResultError) as info, np.errstate(all="raise"):
        train_autoencoder(points, normaliser, 2, 40, 50.0, np.random.default_rng(0), name="b")
    message = str(info.value)
    assert "b: the loss became inf at full-batch GD step 4 of 40 (lr 50;" in message, message
    assert "Lower b.lr." in message


def test_results_with_a_nan_figure_are_refused_before_anything_is_rendered(points):
    results = compute_results(points, _settings(), np.random.default_rng(0))
    check_results_are_finite(results, "numpy_linear_ae")  # the honest results pass
    results.bottleneck.losses[-1] = math.nan
    with pytest.raises(NonFiniteResultError) as info:
        check_results_are_finite(results, "numpy_linear_ae")
    message = str(info.value)
    assert message.startswith("numpy_linear_ae produced non-finite figures: b/loss = nan;")
    assert "b/relative_gap = nan" in message and "b/losses = nan (entry 40 of 41)" in message
    assert "Nothing was written" in message and "linear_ae.bottleneck.lr" in message


def test_a_sweep_where_every_lr_diverges_is_reported_in_words_and_plotted(points, tmp_path):
    results = compute_results(
        points, _settings(lr_min=0.5, lr_max=1.0, include_best_lr=False), np.random.default_rng(0)
    )
    assert all(r.diverged for r in results.sweep)
    check_results_are_finite(results, "numpy_linear_ae")  # a result, not a broken figure
    report = results_markdown(results, _settings())
    check_report_is_finite("numpy_linear_ae", "results.md", report)
    assert "every learning rate of the sweep diverged" in report
    # the old code crashed here: a log axis with no finite value to draw
    paths = save_plots(results, tmp_path / "plots")
    assert all(p.stat().st_size > 1000 for p in paths)


@pytest.mark.parametrize(
    ("text", "printed"),
    [("loss = inf here", "inf"), ("| 1 | -inf |", "-inf"), ("gap nan.", "nan"), ("x NaN", "NaN")],
)
def test_a_report_that_would_print_inf_or_nan_is_refused(text, printed):
    with pytest.raises(NonFiniteResultError, match=f"would print '{printed}' on its line 2"):
        check_report_is_finite("run", "results.md", "# title\n" + text)


def test_words_that_contain_inf_or_nan_are_not_mistaken_for_figures():
    check_report_is_finite("run", "results.md", "infinite information, finance, nano, 1e-09")


def test_check_finite_names_every_bad_entry_and_the_fix():
    with pytest.raises(NonFiniteResultError) as info:
        check_finite("run", {"a": 1.0, "b": math.inf, "c": [0.0, 1.0, math.nan]}, "Do this.")
    assert str(info.value) == (
        "run produced non-finite figures: b = inf; c = nan (entry 2 of 3). Nothing was written "
        "from them (no results.md, plots or summary). Do this."
    )


def test_a_classifier_whose_loss_becomes_nan_stops_naming_the_step_and_lr():
    data = _arrays(200, 50)
    rng = np.random.default_rng(0)
    model = MLP([784, 32, 10], "relu", rng=rng)
    logged = []
    with pytest.raises(
        NonFiniteResultError, match=r"became nan at step (\d+) of epoch 0 \(both counted from 0"
    ) as info:
        train_classifier(
            model,
            SGD(model, lr=1e6),
            data,
            epochs=2,
            batch_size=32,
            rng=rng,
            lr_schedule=make_lr_schedule("constant", 1e6, 14),
            log_every=1,
            on_metrics=lambda metrics, step, epoch: logged.append(metrics),
            show_progress=False,
        )
    assert all(math.isfinite(v) for m in logged for v in m.values()), "a nan was logged"
    # The torch side's NonFiniteLossGuard leaves the same row, which report.py reads as failed.
    step = int(re.search(r"at step (\d+)", str(info.value)).group(1))
    assert logged[-1] == {"run/failed": 1.0, "run/nonfinite_step": step}
    assert "lr 1e+06" in str(info.value)


def _loss_plot(path: Path) -> Path:
    return autoencoder_plots.save_loss_curves_with_minima({"a": [1.0, 0.5]}, {"a": 0.25}, path, "t")


def test_a_plot_that_fails_midway_leaves_no_file_under_its_name(tmp_path, monkeypatch):
    path = tmp_path / "plots" / "curve.png"
    _loss_plot(path)  # creates the folder and a whole PNG
    good = path.read_bytes()
    assert good.startswith(b"\x89PNG")

    def crash_midway(self, f, **kwargs):
        f.write(b"\x89PNG half")
        raise RuntimeError("killed while saving")

    monkeypatch.setattr(Figure, "savefig", crash_midway)
    with pytest.raises(RuntimeError, match="killed while saving"):
        _loss_plot(path)
    assert path.read_bytes() == good, "the previous plot was overwritten by half a file"
    assert not list(path.parent.glob(f"*{PART_SUFFIX}"))
    with pytest.raises(RuntimeError):
        _loss_plot(tmp_path / "plots" / "new.png")
    assert not (tmp_path / "plots" / "new.png").exists()
