"""Tiny whole runs of the CIFAR-10 experiments on CPU, and what the sweeps compare."""

import csv
import json

import hydra
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from labkit.compose import CONFIG_DIR
from labkit.training import train
from nets.resnet import INITS, ResNet18
from tests.helpers.cifar_writer import tiny_cifar, write_pickles

TINY = (
    "trainer.max_epochs=2",
    "trainer.limit_train_batches=2",
    "trainer.log_every_n_steps=1",
    "callbacks.progress_bar=null",
    "logger=csv",
    "data.progress=false",
    "data.eval_batch_size=50",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "model.net.width=8",  # ResNet-18's structure at 1/64 of its cost: seconds on a CPU
)


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    write_pickles(root, "train", *tiny_cifar(160, seed=0))
    write_pickles(root, "test", *tiny_cifar(40, seed=1))
    return root


def test_resnet18_run_on_the_gpu_path_settings_runs_on_cpu_and_leaves_its_figures(
    make_cfg, tmp_path, cifar_root
):
    # trainer=gpu's settings on the CPU: bf16 autocast, channels-last, the dataset "on the
    # device" (host memory here): the same code path as on a GPU, but for the accelerator.
    cfg = make_cfg(
        "experiment=cifar10_resnet18",
        f"paths.labkit_data={cifar_root}",
        *TINY,
        "trainer.precision=bf16-mixed",
        "model.channels_last=true",
        "data.on_device=true",
        "callbacks.conv_filters.num_filters=4",
    )
    metrics = train(cfg)
    run = tmp_path / "run"
    assert 0.0 <= metrics["test/acc"] <= 1.0
    for png in (
        "curves.png",
        *(
            f"{n}.png"
            for n in (
                "first_conv_filters",
                "first_conv_maps",
                "last_conv_filters",
                "last_conv_maps",
            )
        ),
    ):
        assert (run / "plots" / png).stat().st_size > 3000, f"{png} missing or empty"
    rows = [r for r in csv.DictReader((run / "metrics.csv").open()) if r.get("val/acc")]
    assert len(rows) == 2
    accs = [float(r["val/acc"]) for r in rows]
    best = accs.index(max(accs))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["val/acc"] == pytest.approx(accs[best])
    assert summary["val/loss"] == pytest.approx(float(rows[best]["val/loss"]))
    assert summary["best_epoch"] == best


def test_grid_covers_every_activation_and_init_of_the_seed():
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", ["experiment=cifar10_grid"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    params = cfg.hydra.sweeper.params
    assert sorted(params["model.net.activation"].split(",")) == ["relu", "tanh"]
    assert sorted(params["model.net.init"].split(",")) == sorted(INITS)
    for activation in ("relu", "tanh"):
        for init in INITS:
            ResNet18(activation=activation, init=init, width=8)  # every combination builds


def test_matched_mlp_has_resnet18s_parameter_count_within_5_percent(make_cfg):
    counts = {}
    for net in ("resnet18", "mlp_cifar10_matched"):
        cfg = make_cfg("experiment=cifar10_mlp_matched", f"net={net}")
        model = hydra.utils.instantiate(cfg.model)
        counts[net] = sum(p.numel() for p in model.parameters())
        with torch.no_grad():
            assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert counts["resnet18"] == 11_173_962
    assert abs(counts["mlp_cifar10_matched"] / counts["resnet18"] - 1) < 0.05
