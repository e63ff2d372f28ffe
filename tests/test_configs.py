"""Every experiment config composes, and the torch ones build their data and model."""

from pathlib import Path

import hydra
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from labkit.config_checks import check_config
from labkit.errors import ConfigError
from tests.conftest import CONFIG_DIR

EXPERIMENTS = sorted(p.stem for p in Path(CONFIG_DIR, "experiment").glob("*.yaml"))


def _primary_config(name: str) -> str:
    text = Path(CONFIG_DIR, "experiment", f"{name}.yaml").read_text()
    return "train_numpy" if "entry: train_numpy" in text else "train"


def test_the_catalogue_is_not_empty():
    assert "mnist_mlp" in EXPERIMENTS


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_with_its_entry_point(name):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(_primary_config(name), overrides=[f"experiment={name}"])
    assert cfg.task_name == name, "each experiment names its own run (task_name)"
    GlobalHydra.instance().clear()


@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if _primary_config(n) == "train"])
def test_torch_experiment_builds_its_datamodule_and_model(name, make_cfg):
    cfg = make_cfg(f"experiment={name}")
    check_config(cfg)
    datamodule = hydra.utils.instantiate(cfg.data)
    model = hydra.utils.instantiate(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert datamodule.batch_size == cfg.data.batch_size


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.optimizer.lr=-0.01", r"model.optimizer.lr must be a finite number > 0, got -0.01"),
        ("data.batch_size=0", r"data.batch_size must be an integer > 0"),
        ("trainer.max_epochs=0", r"trainer.max_epochs must be an integer > 0"),
    ],
)
def test_out_of_range_values_name_the_key_and_a_valid_example(make_cfg, override, message):
    cfg = make_cfg(override)
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)


def test_net_optimizer_and_scheduler_are_swapped_as_groups(make_cfg):
    cfg = make_cfg(
        "experiment=mnist_mlp", "net=mlp_wide", "optimizer=sgd_nesterov", "scheduler=onecycle"
    )
    assert list(cfg.model.net.hidden_sizes) == [256, 256]
    assert cfg.model.optimizer._target_ == "torch.optim.SGD" and cfg.model.optimizer.nesterov
    assert cfg.model.optimizer.lr == 0.002, (
        "the experiment's learning rate applies to any optimizer"
    )
    assert cfg.model.scheduler._target_.endswith("OneCycleLR")
    assert cfg.model.scheduler_interval == "step"
    model = hydra.utils.instantiate(cfg.model)
    assert isinstance(model.optimizer_factory(params=model.parameters()), torch.optim.SGD)
