"""The same probe command gives the same figures, whatever order the CIFAR-10 source holds."""

from __future__ import annotations

import csv
import json
import sys
import types

import numpy as np
import pytest
from hydra.core.global_hydra import GlobalHydra

from datamodules.bouba_kiki_generator import generate_bouba_kiki
from labkit.compose import compose_run_config
from mobilenet_probe.cifar_scores import load_cifar_classes
from mobilenet_probe.report import SECTIONS
from mobilenet_probe.run import run_probe

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# What may differ between two runs: how long they took (the report's last section, "## Run").
TIMING_KEYS = {"wall_time_s"}


def _test_split() -> tuple[np.ndarray, np.ndarray]:
    """A tiny CIFAR-10 test split: 60 distinct 32×32 RGB images, 6 of each class."""
    images, _ = generate_bouba_kiki(60, 32, seed=9)
    return np.repeat(images[..., None], 3, axis=3), np.arange(60, dtype=np.int64) % 10


@pytest.fixture
def cifar10_in_order(monkeypatch):
    """``datamodules.cifar10_files`` serving the tiny split in the order ``order[0]`` holds.

    Torchvision's pickles and an image-folder export hold the same images in different orders;
    set ``order[0]`` to a permutation to be the other source.
    """
    order = [None]

    def load_cifar10_split(split, *, data_dir, labkit_data, download, progress=True):
        x, y = _test_split()
        return (x, y) if order[0] is None else (x[order[0]], y[order[0]])

    module = types.ModuleType("datamodules.cifar10_files")
    module.CIFAR10_CLASSES = CLASSES
    module.load_cifar10_split = load_cifar10_split
    monkeypatch.setitem(sys.modules, "datamodules.cifar10_files", module)
    return order


def _run(tmp_path, name):
    cfg = compose_run_config(
        [
            "bouba_kiki.source=generated",
            "bouba_kiki.generated_count=40",
            "weights.source=random",
            "probe.input_size=64",
            "probe.pixels_size=16",
            "probe.batch_size=20",
            "probe.repeats=2",
            "probe.split_examples=4",
            "cifar.per_class=3",
            "cifar.examples=3",
            "run_logger.use_wandb=false",
            f"paths.data_dir={tmp_path / 'cache'}",
        ],
        tmp_path / name,
        config_name="probe",
    )
    GlobalHydra.instance().clear()
    run_probe(cfg)
    run = tmp_path / name
    with (run / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    report = (run / "report.md").read_text()
    return json.loads((run / "summary.json").read_text()), rows, report


def test_the_same_command_twice_gives_identical_figures_even_from_a_reordered_cifar_source(
    tmp_path, cifar10_in_order
):
    summary_a, rows_a, report_a = _run(tmp_path, "a")
    cifar10_in_order[0] = np.random.default_rng(1).permutation(60)
    summary_b, rows_b, report_b = _run(tmp_path, "b")

    assert set(summary_a) == set(summary_b)
    differing = {
        k: (summary_a[k], summary_b[k])
        for k in summary_a
        if k not in TIMING_KEYS and summary_a[k] != summary_b[k]
    }
    assert not differing, f"summary.json differs between two runs: {differing}"
    assert rows_a == rows_b, "metrics.csv differs between two runs"
    run_section = SECTIONS[-1]
    assert report_a.index(run_section) > report_a.index(SECTIONS[-2])
    assert report_a.split(run_section)[0] == report_b.split(run_section)[0], (
        "report.md differs before its timings"
    )


def test_summary_gives_every_block_and_the_pixels_an_interval_and_names_the_earliest_better(
    tmp_path, cifar10_in_order
):
    summary, _, report = _run(tmp_path, "a")
    assert summary["status"] == "finished" and summary["job"] == "probe"
    for name in ["pixels", *(f"features.{i}" for i in range(13))]:
        acc, low, high = (summary[f"probe/{name}/acc{s}"] for s in ("", "_low", "_high"))
        assert 0 <= low <= acc <= high <= 1 and low < high, (name, low, acc, high)
    assert summary["probe/pixels/dims"] == 16 * 16  # one grey channel, shrunk to pixels_size
    better = [i for i in range(13) if summary[f"probe/features.{i}/better_than_pixels"]]
    earliest = summary["probe/earliest_block"]
    assert earliest == (better[0] if better else -1)
    assert summary["probe/earliest_better_layer"] == (f"features.{earliest}" if better else "none")
    for i in better:
        assert summary[f"probe/features.{i}/p_over_pixels"] < summary["probe/alpha"] / 13
    assert "## (d) Layerwise linear probe" in report and "| raw pixels | 256 |" in report


def test_the_cifar_images_chosen_are_the_same_whatever_order_the_split_comes_in(
    cifar10_in_order,
):
    def chosen():
        return load_cifar_classes(
            ["frog", "airplane"], 3, seed=0, data_dir="unused", labkit_data=None, download=False
        )

    x_a, y_a = chosen()
    cifar10_in_order[0] = np.random.default_rng(2).permutation(60)
    x_b, y_b = chosen()
    assert np.array_equal(y_a, y_b) and np.array_equal(x_a, x_b), "another order, other images"
    assert len(np.unique(x_a.reshape(len(x_a), -1), axis=0)) == 6
