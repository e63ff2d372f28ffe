"""Every NumPy experiment config composes, names a runner that imports, and train.py refuses it."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import get_method

from labkit.errors import ConfigError
from labkit.resolvers import register_resolvers
from numpy_experiments.experiment_runner import available_experiments, run_experiment

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
NUMPY_EXPERIMENTS = available_experiments(CONFIG_DIR)


def _compose(config_name: str, *overrides: str):
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name, overrides=list(overrides))


def test_the_three_numpy_experiments_exist():
    assert {"numpy_mlp_mnist", "numpy_mlp_mnist_fast", "numpy_linear_ae"} <= set(NUMPY_EXPERIMENTS)


@pytest.mark.parametrize("name", NUMPY_EXPERIMENTS)
def test_numpy_experiment_composes_with_train_numpy(name):
    cfg = _compose("train_numpy", f"experiment={name}", "paths.output_dir=/tmp/unused")
    assert cfg.task_name == name, "task_name must equal the experiment name (run dirs, messages)"
    assert cfg.entry == "train_numpy"
    assert callable(get_method(cfg.runner)), f"runner {cfg.runner} does not import"
    assert cfg.run_logger.offline is True, "W&B must be offline by default in tests"


@pytest.mark.parametrize("name", NUMPY_EXPERIMENTS)
def test_train_py_refuses_a_numpy_experiment_with_a_pointer_to_train_numpy(name, tmp_path):
    from labkit.training import train  # torch side: only this test imports it

    cfg = _compose("train", f"experiment={name}", f"paths.output_dir={tmp_path}")
    assert cfg.entry == "train_numpy"
    with pytest.raises(ConfigError, match=rf"train_numpy.py experiment={name}"):
        train(cfg)


def test_train_numpy_without_an_experiment_lists_the_numpy_experiments():
    cfg = _compose("train_numpy", "paths.output_dir=/tmp/unused")
    with pytest.raises(ConfigError, match="numpy_mlp_mnist_fast"):
        run_experiment(cfg, CONFIG_DIR)


def test_a_bad_value_in_a_numpy_experiment_is_a_config_error_naming_the_key():
    cfg = _compose(
        "train_numpy",
        "experiment=numpy_mlp_mnist",
        "numpy_optim.lr=-1",
        "paths.output_dir=/tmp/unused",
    )
    with pytest.raises(ConfigError, match=r"numpy_optim.lr must be a (finite )?number > 0"):
        run_experiment(cfg, CONFIG_DIR)


def test_optimizer_group_can_be_switched_from_the_command_line():
    cfg = _compose(
        "train_numpy",
        "experiment=numpy_mlp_mnist",
        "numpy_optim=sgd",
        "paths.output_dir=/tmp/unused",
    )
    assert cfg.numpy_optim._target_ == "numpy_ref.optim.SGD"


def test_baseline_config_composes():
    cfg = _compose("baseline", "paths.output_dir=/tmp/unused")
    assert cfg.baseline.train_size == 2000 and cfg.baseline.dataset == "MNIST"
