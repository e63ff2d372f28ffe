"""Crashes and bad checkpoints: resume after SIGKILL, non-finite loss, foreign checkpoints."""

import csv
import json
import signal

import pytest
import torch

from callbacks.nonfinite_loss_guard import NonFiniteLossError, NonFiniteLossGuard
from labkit.errors import ConfigError
from labkit.training import train
from tests.cli_runner import TINY_ARGS, run_train, summary

EPOCHS = ("trainer.max_epochs=3", "callbacks.last_checkpoint.every_n_train_steps=5")


@pytest.mark.parametrize(
    "steps_per_execution, kill_at, saved_at",
    [
        # 500 training images / batch 32 = 16 steps per epoch. One step at a time: killed at
        # step 22 (epoch 1, batch 6) with last.ckpt from step 20, so 4 batches are skipped.
        (1, 22, 20),
        # 8 steps per Lightning step: killed at step 24; last.ckpt is from step 24 (20 was
        # passed), half-way through epoch 1, so 8 batches are skipped.
        (8, 24, 24),
    ],
)
def test_resume_after_sigkill_mid_epoch_gives_the_same_final_metrics(
    tmp_path, tiny_data_root, steps_per_execution, kill_at, saved_at
):
    args = (*TINY_ARGS, *EPOCHS, f"steps_per_execution={steps_per_execution}")
    straight = run_train(tmp_path, *args, "hydra.run.dir=straight", labkit_data=tiny_data_root)
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = run_train(
        tmp_path,
        *args,
        "hydra.run.dir=crashed",
        "+callbacks.kill._target_=tests.crash_callbacks.KillAtStep",
        f"+callbacks.kill.step={kill_at}",
        labkit_data=tiny_data_root,
    )
    assert killed.returncode == -signal.SIGKILL
    last = torch.load(tmp_path / "crashed/checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == saved_at and last["epoch"] == 1, "expected a mid-epoch checkpoint"

    resumed = run_train(
        tmp_path,
        *args,
        "hydra.run.dir=crashed",
        "resume=true",
        labkit_data=tiny_data_root,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = summary(tmp_path / "straight"), summary(tmp_path / "crashed")
    for key in ("test/acc", "test/loss"):
        assert a[key] == b[key], f"{key}: uninterrupted {a[key]} vs resumed {b[key]}"
    assert a["epochs"] == b["epochs"] == 3


def test_resume_without_a_checkpoint_says_how_to_resume(make_cfg):
    with pytest.raises(ConfigError, match="resume=true but .*last.ckpt does not exist"):
        train(make_cfg("resume=true"))


def test_checkpoint_of_another_model_is_refused_with_the_mismatch(make_cfg, tmp_path):
    train(
        make_cfg(
            "trainer.max_epochs=1", "logger=csv", "callbacks.progress_bar=null", run_dir="small"
        )
    )
    ckpt = tmp_path / "small/checkpoints/last.ckpt"
    cfg = make_cfg(f"ckpt_path={ckpt}", "model.net.hidden_sizes=[32]", "logger=csv")
    with pytest.raises(
        ConfigError,
        match=r"different model .*net.layers.0.weight: checkpoint \(64, 784\) vs model \(32, 784\)",
    ):
        train(cfg)


# NaN weights before step `poison`, last.ckpt every 4 steps. One step at a time, the NaN comes
# at step 6 and the last good checkpoint is step 4's; 8 steps at a time, at step 8, with
# last.ckpt written after step 8 (4 and 8 passed), before the weights were poisoned.
NAN_RUNS = pytest.mark.parametrize(
    "steps_per_execution, poison, good, gpu_window",
    [(1, 6, 4, "4 and 7"), (8, 8, 8, "8 and 15")],
)


def _nan_run(make_cfg, steps_per_execution, poison):
    return make_cfg(
        "trainer.max_epochs=2",
        "callbacks.progress_bar=null",
        "callbacks.last_checkpoint.every_n_train_steps=4",
        f"steps_per_execution={steps_per_execution}",
        "+callbacks.poison._target_=tests.crash_callbacks.PoisonWeightsAtStep",
        f"+callbacks.poison.step={poison}",
    )


@NAN_RUNS
def test_nonfinite_loss_stops_names_the_step_and_keeps_the_last_good_checkpoint(
    make_cfg, tmp_path, steps_per_execution, poison, good, gpu_window
):
    cfg = _nan_run(make_cfg, steps_per_execution, poison)
    with pytest.raises(
        NonFiniteLossError, match=rf"training loss is nan at step {poison} \(epoch 0"
    ):
        train(cfg)
    run = tmp_path / "run"
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    failed = [r for r in rows if r.get("run/failed")]
    assert failed and float(failed[0]["run/nonfinite_step"]) == poison
    assert json.loads((run / "summary.json").read_text())["status"] == "failed"
    last = torch.load(run / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == good
    weights = {k: w for k, w in last["state_dict"].items() if k.startswith("net.")}
    assert weights and all(torch.isfinite(w).all() for w in weights.values()), "NaN checkpointed"


@NAN_RUNS
def test_on_a_gpu_the_guard_reads_its_flag_before_any_checkpoint(
    make_cfg, tmp_path, monkeypatch, steps_per_execution, poison, good, gpu_window
):
    # The GPU path (no per-step read), exercised on CPU tensors: the NaN is found when the next
    # checkpoint is about to be written, and that checkpoint is not.
    monkeypatch.setattr(NonFiniteLossGuard, "_reads_are_cheap", staticmethod(lambda loss: False))
    cfg = _nan_run(make_cfg, steps_per_execution, poison)
    with pytest.raises(
        NonFiniteLossError, match=rf"not finite between steps {gpu_window} \(epoch 0"
    ):
        train(cfg)
    last = torch.load(tmp_path / "run" / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == good
