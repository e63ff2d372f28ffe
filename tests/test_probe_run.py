"""The whole probe on generated images with an untrained net: every answer, file and section."""

from __future__ import annotations

import csv
import os
import re
import sys
import types

import numpy as np
import pytest
from hydra.core.global_hydra import GlobalHydra

from datamodules.bouba_kiki_generator import generate_bouba_kiki
from labkit.compose import compose_run_config
from labkit.errors import ConfigError
from mobilenet_probe.report import SECTIONS
from mobilenet_probe.run import run_probe

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@pytest.fixture
def fake_cifar10(monkeypatch):
    """``datamodules.cifar10_files`` with its interface, serving a tiny test split in memory."""
    calls = []

    def load_cifar10_split(split, *, data_dir, labkit_data, download, progress=True):
        calls.append(split)
        images, _ = generate_bouba_kiki(40, 32, seed=9)
        rgb = np.repeat(images[..., None], 3, axis=3)
        return rgb, np.arange(40, dtype=np.int64) % 10

    module = types.ModuleType("datamodules.cifar10_files")
    module.CIFAR10_CLASSES = CLASSES
    module.load_cifar10_split = load_cifar10_split
    monkeypatch.setitem(sys.modules, "datamodules.cifar10_files", module)
    return calls


def _config(tmp_path, *overrides):
    cfg = compose_run_config(
        [
            "bouba_kiki.source=generated",
            "bouba_kiki.generated_count=40",
            "weights.source=random",
            "probe.input_size=64",
            "probe.batch_size=16",
            "probe.repeats=1",
            "probe.split_examples=4",
            "cifar.per_class=3",
            "cifar.examples=3",
            f"paths.data_dir={tmp_path / 'cache'}",
            *overrides,
        ],
        tmp_path / "run",
        config_name="probe",
    )
    GlobalHydra.instance().clear()
    return cfg


def test_the_whole_probe_answers_a_to_d_and_leaves_report_plots_csv_and_wandb_run(
    tmp_path, fake_cifar10
):
    metrics = run_probe(_config(tmp_path))
    run = tmp_path / "run"

    assert fake_cifar10 == ["test"]
    assert metrics["reference/generator_agreement"] == 1.0
    assert metrics["reference/kiki_count"] == 20
    assert metrics["conv/parameters_counted"] == metrics["conv/parameters_formula"] == 432
    assert metrics["net/parameters"] == 2_542_856
    assert 0.5 <= metrics["split/agreement"] <= 1.0
    assert 0.0 <= metrics["cifar/p_airplane_above_frog"] <= 1.0
    assert all(f"probe/features.{i}/acc" in metrics for i in range(13))
    assert metrics["probe/pixels/acc_low"] <= metrics["probe/pixels/acc"]
    assert metrics["probe/pixels/acc"] <= metrics["probe/pixels/acc_high"]

    report = (run / "report.md").read_text()
    positions = [report.find(heading) for heading in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", report)
    assert sorted(images) == [
        "plots/cifar_extremes.png",
        "plots/layer_accuracy.png",
        "plots/reference_labels.png",
        "plots/split_examples.png",
    ]
    for image in images:
        assert (run / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    assert "3·16·3·3/1 (no bias)" in report and "| 432 | 432 |" in report
    number = r"[-\d.e+]+"
    table_row = rf"^\| `features\.\d+` \| \d+ \|( {number} \|){{6}} (yes|no) \| {number} \|$"
    assert len(re.findall(table_row, report, re.M)) == 13, report
    assert re.search(r"^\| raw pixels \| [\d,]+ \|", report, re.M)
    assert "earliest block reliably better than the raw pixels" in report or (
        "No block is reliably better than the raw pixels" in report
    )
    assert "| frog | 3 |" in report and "| airplane | 3 |" in report
    assert "rule agrees with the generator's true labels on 100.0%" in report

    with (run / "metrics.csv").open(newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert float(row["split/agreement"]) == pytest.approx(metrics["split/agreement"])
    assert float(row["probe/features.0/acc_low"]) == pytest.approx(
        metrics["probe/features.0/acc_low"]
    )
    assert list((run / "wandb").glob("offline-run-*/run-*.wandb")), "no offline W&B run"


def test_the_probe_without_cifar_says_so_and_an_unknown_layer_or_class_is_refused(
    tmp_path, fake_cifar10
):
    run_probe(_config(tmp_path, "cifar.enabled=false", "run_logger.use_wandb=false"))
    assert "Not run (cifar.enabled=false)." in (tmp_path / "run" / "report.md").read_text()
    assert fake_cifar10 == []
    with pytest.raises(ConfigError, match="probe.split_layer must be one of features.0"):
        run_probe(_config(tmp_path, "probe.split_layer=features.13"))
    with pytest.raises(ConfigError, match="cifar.classes has \\['frogs'\\]"):
        run_probe(_config(tmp_path, "cifar.classes=[frogs,airplane]", "run_logger.use_wandb=false"))


@pytest.mark.slow
@pytest.mark.real_data
def test_on_the_course_file_the_pretrained_net_splits_bouba_from_kiki(tmp_path):
    weights = os.environ.get("LABKIT_WEIGHTS_DIR") or os.environ.get("LABKIT_WEIGHTS")
    if not weights:
        pytest.skip("no local MobileNetV3 weights (LABKIT_WEIGHTS_DIR / LABKIT_WEIGHTS)")
    cfg = _config(
        tmp_path,
        "bouba_kiki.source=file",
        "weights.source=imagenet",
        "probe.input_size=224",
        "probe.repeats=2",
        f"paths.labkit_data={os.environ['LABKIT_DATA']}",
        "cifar.per_class=50",
        "run_logger.use_wandb=false",
    )
    metrics = run_probe(cfg)
    assert metrics["reference/kiki_count"] == 100  # the course's file: half of each kind
    assert metrics["reference/bouba_max_deg"] < 45 and metrics["reference/kiki_min_deg"] > 85
    assert metrics["split/agreement"] >= 0.95
    assert metrics["probe/features.12/acc"] >= 0.95
    # The linear probe on raw pixels is the baseline; the pooled last block beats it reliably.
    assert metrics["probe/features.12/better_than_pixels"] == 1
    assert 0 <= metrics["probe/earliest_block"] <= 12
