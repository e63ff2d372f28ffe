"""A trainer asking for devices this machine lacks stops at once, saying which settings run here."""

import pytest
from omegaconf import OmegaConf

from labkit.device_checks import check_devices
from labkit.errors import ConfigError
from tests.helpers.cli_runner import run_train


def _trainer(**values):
    return OmegaConf.create({"accelerator": "auto", "devices": 1, **values})


@pytest.mark.parametrize(
    "trainer, gpus, cpus",
    [
        (_trainer(), 0, 2),  # the default trainer on a laptop
        (_trainer(), 1, 2),
        (_trainer(accelerator="cpu", devices=2), 0, 2),  # trainer=ddp accelerator=cpu (gloo)
        (_trainer(accelerator="gpu", devices=2), 2, 4),
        (_trainer(accelerator="gpu", devices=[0, 1]), 2, 4),
        (_trainer(accelerator="gpu", devices="auto"), 1, 4),
        (_trainer(devices=2), 2, 1),  # auto picks the two GPUs
    ],
)
def test_settings_the_machine_has_pass(trainer, gpus, cpus):
    check_devices(trainer, gpus=gpus, cpus=cpus)


@pytest.mark.parametrize(
    "trainer, gpus, cpus, expected",
    [
        (_trainer(accelerator="gpu"), 0, 2, "needs a GPU, but this machine has no GPU and 2 CPU"),
        (_trainer(accelerator="cuda", devices=4), 0, 2, "run with trainer=cpu, or trainer=ddp"),
        (_trainer(accelerator="gpu", devices=4), 2, 8, "asks for 4 GPUs, but this machine has 2"),
        (_trainer(accelerator="gpu", devices=[0, 3]), 2, 8, r"up to index 3\), but .* has 2 GPUs"),
        (_trainer(accelerator="cpu", devices=4), 0, 2, "asks for 4 CPU cores, .*N <= 2"),
        (_trainer(devices=4), 0, 2, "trainer.accelerator=auto trainer.devices=4 asks for 4 CPU"),
    ],
)
def test_settings_beyond_the_machine_are_refused_naming_what_runs_here(
    trainer, gpus, cpus, expected
):
    with pytest.raises(ConfigError, match=expected):
        check_devices(trainer, gpus=gpus, cpus=cpus)


def test_a_gpu_trainer_beyond_this_machine_stops_with_exit_code_2(tmp_path):
    # More GPUs than any machine running this test has, so it fails with or without a GPU.
    result = run_train(tmp_path, "trainer=gpu", "trainer.devices=64")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "trainer.accelerator=gpu trainer.devices=64" in result.stderr
    assert "trainer=cpu" in result.stderr and "Traceback" not in result.stderr
