"""train.py as a user runs it: help, and one clear message (no traceback) for each bad input."""

import pytest

from tests.helpers.cli_runner import TINY_ARGS, run_train


def test_help_lists_the_experiments(tmp_path):
    result = run_train(tmp_path, "--help")
    assert result.returncode == 0
    assert "experiment:" in result.stdout and "mnist_mlp" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["experiment=no_such_thing"], "Could not find 'experiment/no_such_thing'"),
        (["model.optimizer.lr=-0.01"], "model.optimizer.lr must be a finite number > 0, got -0.01"),
        (
            ["paths.data_dir=/nonexistent/place", "data.download=false"],
            "MNIST (train) not found. Looked for:\n  /nonexistent/place/MNIST/raw/",
        ),
        (["trainer.max_epoch=3"], "Could not override 'trainer.max_epoch'"),
        (["model.net.activation=swishy"], "Unknown activation 'swishy'; choose one of"),
        (["+model.net.widht=3"], "unexpected keyword argument 'widht'"),
        (["ckpt_path=/no/such.ckpt"], "ckpt_path=/no/such.ckpt does not exist"),
    ],
    ids=[
        "unknown-experiment",
        "negative-lr",
        "wrong-data-dir",
        "unknown-key",
        "unknown-activation",
        "unknown-constructor-key",
        "missing-checkpoint",
    ],
)
def test_bad_input_ends_with_one_clear_message(tmp_path, args, expected):
    result = run_train(tmp_path, *args)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "a failed run left files in the data cache"


def test_without_any_wandb_setting_a_run_goes_offline_and_never_asks_for_a_login(
    tmp_path, tiny_data_root
):
    args = [a for a in TINY_ARGS if a != "logger=csv"]
    result = run_train(
        tmp_path,
        *args,
        "trainer.max_epochs=1",
        "hydra.run.dir=run",
        labkit_data=tiny_data_root,
        wandb_env=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert list((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))


def test_hydra_prints_the_resolved_config(tmp_path):
    # A resolver that returned a plain list (the W&B tags) made --resolve fail with a traceback.
    done = run_train(tmp_path, "--cfg", "job", "--resolve")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "    tags:\n    - mnist\n    - mlp\n    job_type: train" in done.stdout  # logger.wandb
