"""An experiment that defines a sweep, started without -m, stops with exit 2 and says to add -m."""

from __future__ import annotations

import pytest

from labkit.config_checks import check_sweep_has_multirun
from labkit.errors import ConfigError
from tests.helpers.cli_runner import run_train


def test_a_sweep_experiment_without_m_exits_2_and_names_the_command(tmp_path):
    run = run_train(
        tmp_path, "experiment=fashion_mlp_lr", "trainer.max_epochs=1", f"hydra.run.dir={tmp_path}/r"
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert "python train.py -m experiment=fashion_mlp_lr trainer.max_epochs=1" in run.stderr
    assert "model.optimizer.lr" in run.stderr, "the message names what the sweep varies"
    assert not (tmp_path / "r" / "summary.json").exists(), "refused before the run started"


def test_one_job_of_a_sweep_runs_with_the_sweepers_params_cleared(make_cfg):
    cfg = make_cfg(
        "experiment=fashion_mlp_lr", "hydra.sweeper.params=null", "model.optimizer.lr=0.2"
    )
    check_sweep_has_multirun(cfg.hydra.sweeper.params, [], "train")  # no error
    swept = make_cfg("experiment=fashion_mlp_lr").hydra.sweeper.params
    with pytest.raises(ConfigError, match=r"only with -m: python train.py -m experiment=x"):
        check_sweep_has_multirun(swept, ["experiment=x"], "train")
