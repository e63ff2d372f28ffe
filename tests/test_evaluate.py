"""Evaluating a saved checkpoint: ``python train.py train=false ckpt_path=<file>``."""

import csv

import pytest
import pytorch_lightning as pl
import wandb

from labkit.errors import ConfigError
from labkit.training import train
from tests.helpers.cli_runner import TINY_ARGS, run_train, summary

# One entry per model family: the overrides of one of its experiments, and its test-stage plot.
FAMILIES = pytest.mark.parametrize(
    "experiment, plot",
    [
        (("experiment=mnist_mlp",), "test_predictions.png"),
        (
            ("experiment=multimnist", "data.train_samples=400", "data.test_samples=100"),
            "test_predictions.png",
        ),
        (("experiment=mnist_autoencoder",), "reconstructions.png"),
    ],
    ids=["classifier", "multitask", "autoencoder"],
)


@FAMILIES
def test_evaluating_a_checkpoint_in_a_new_process_reports_what_its_training_run_did(
    tmp_path, tiny_data_root, experiment, plot
):
    common = (*TINY_ARGS, *experiment)
    trained = run_train(
        tmp_path,
        *common,
        "trainer.max_epochs=2",
        "hydra.run.dir=trained",
        labkit_data=tiny_data_root,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    best = (tmp_path / "trained/checkpoints/best.ckpt").resolve()
    evaluated = run_train(
        tmp_path,
        *common,
        "train=false",
        f"ckpt_path={best}",
        "hydra.run.dir=evaluated",
        labkit_data=tiny_data_root,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]

    a, b = summary(tmp_path / "trained"), summary(tmp_path / "evaluated")
    test_keys = [k for k in a if k.startswith("test/")]
    assert test_keys and [k for k in b if k.startswith("test/")] == test_keys
    for key in test_keys:
        assert b[key] == a[key], f"{key}: training run {a[key]} vs evaluation {b[key]}"
    # Inside its run dir, relative to it (the dir may move); another run's file, absolute.
    assert (a["checkpoint"], b["checkpoint"]) == ("checkpoints/best.ckpt", str(best))
    assert (a["job"], b["job"]) == ("train", "eval")

    # What a run leaves for its test stage, in the evaluation's own run dir.
    run = tmp_path / "evaluated"
    with (run / "metrics.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get(test_keys[0])]
    assert len(rows) == 1 and all(float(rows[0][k]) == a[k] for k in test_keys)
    assert (run / "plots" / plot).stat().st_size > 5000
    assert not (run / "checkpoints").exists(), "an evaluation trains nothing and saves nothing"


def test_an_evaluation_is_a_wandb_run_of_its_own_tagged_eval(make_cfg, tmp_path, monkeypatch):
    inits = []
    real_init = wandb.init
    monkeypatch.setattr(wandb, "init", lambda **kw: inits.append(kw) or real_init(**kw))
    args = ("trainer.max_epochs=1", "callbacks.progress_bar=null")
    train(make_cfg(*args, run_dir="trained"))
    best = tmp_path / "trained/checkpoints/best.ckpt"
    train(make_cfg(*args, "train=false", f"ckpt_path={best}", run_dir="evaluated"))

    trained, evaluated = inits
    assert (trained["job_type"], evaluated["job_type"]) == ("train", "eval")
    assert "eval" in evaluated["tags"] and "eval" not in trained["tags"]
    assert evaluated["id"] != trained["id"]
    records = list((tmp_path / "evaluated/wandb").glob("offline-run-*/run-*.wandb"))
    assert [r.name for r in records] == [f"run-{evaluated['id']}.wandb"]


def test_evaluating_without_a_checkpoint_stops_with_one_message(tmp_path):
    result = run_train(tmp_path, "train=false")
    assert result.returncode == 2
    assert "train=false evaluates a trained model, but no checkpoint was given" in result.stderr
    assert "ckpt_path=" in result.stderr and "Traceback" not in result.stderr


class DataThatMustNotLoad(pl.LightningDataModule):
    """Stands in for the data: fails the test if anything starts reading it."""

    def __init__(self, **kwargs) -> None:
        super().__init__()

    def start_loading(self) -> None:
        raise AssertionError("data was read before the checkpoint was checked")

    prepare_data = setup = start_loading


def test_a_checkpoint_of_another_architecture_is_refused_before_any_data_is_read(
    make_cfg, tmp_path
):
    train(make_cfg("trainer.max_epochs=1", "callbacks.progress_bar=null", "logger=csv"))
    best = tmp_path / "run/checkpoints/best.ckpt"
    cfg = make_cfg(
        "train=false",
        f"ckpt_path={best}",
        "model.net.hidden_sizes=[32]",
        "data._target_=tests.test_evaluate.DataThatMustNotLoad",
        run_dir="evaluated",
    )
    with pytest.raises(
        ConfigError,
        match=r"different model .*net.layers.0.weight: checkpoint \(64, 784\) vs model \(32, 784\)",
    ):
        train(cfg)
