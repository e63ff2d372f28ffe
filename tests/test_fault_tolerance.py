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


def test_resume_after_sigkill_mid_epoch_gives_the_same_final_metrics(tmp_path, tiny_data_root):
    # 500 training images / batch 32 = 16 steps per epoch; killed at step 22 (epoch 1, batch 6),
    # the last checkpoint is from step 20, so the resumed run must skip exactly 4 batches.
    straight = run_train(
        tmp_path, *TINY_ARGS, *EPOCHS, "hydra.run.dir=straight", labkit_data=tiny_data_root
    )
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = run_train(
        tmp_path,
        *TINY_ARGS,
        *EPOCHS,
        "hydra.run.dir=crashed",
        "+callbacks.kill._target_=tests.crash_callbacks.KillAtStep",
        "+callbacks.kill.step=22",
        labkit_data=tiny_data_root,
    )
    assert killed.returncode == -signal.SIGKILL
    last = torch.load(tmp_path / "crashed/checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == 20 and last["epoch"] == 1, "expected a mid-epoch checkpoint"

    resumed = run_train(
        tmp_path,
        *TINY_ARGS,
        *EPOCHS,
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


# NaN weights before step 6, last.ckpt every 4 steps: the last good checkpoint is step 4's.
NAN_AT_STEP_6 = (
    "trainer.max_epochs=2",
    "callbacks.progress_bar=null",
    "callbacks.last_checkpoint.every_n_train_steps=4",
    "+callbacks.poison._target_=tests.crash_callbacks.PoisonWeightsAtStep",
    "+callbacks.poison.step=6",
)


def test_nonfinite_loss_stops_names_the_step_and_keeps_the_last_good_checkpoint(make_cfg, tmp_path):
    cfg = make_cfg(*NAN_AT_STEP_6)
    with pytest.raises(NonFiniteLossError, match=r"training loss is nan at step 6 \(epoch 0"):
        train(cfg)
    run = tmp_path / "run"
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    failed = [r for r in rows if r.get("run/failed")]
    assert failed and float(failed[0]["run/nonfinite_step"]) == 6
    assert json.loads((run / "summary.json").read_text())["status"] == "failed"
    last = torch.load(run / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == 4
    weights = {k: w for k, w in last["state_dict"].items() if k.startswith("net.")}
    assert weights and all(torch.isfinite(w).all() for w in weights.values()), "NaN checkpointed"


def test_on_a_gpu_the_guard_reads_its_flag_before_any_checkpoint(make_cfg, tmp_path, monkeypatch):
    # The GPU path (no per-step read), exercised on CPU tensors: the NaN of step 6 is found
    # when the checkpoint after step 7 is about to be written, and that checkpoint is not.
    monkeypatch.setattr(NonFiniteLossGuard, "_reads_are_cheap", staticmethod(lambda loss: False))
    cfg = make_cfg(*NAN_AT_STEP_6)
    with pytest.raises(NonFiniteLossError, match=r"not finite between steps 4 and 7 \(epoch 0"):
        train(cfg)
    last = torch.load(tmp_path / "run" / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == 4
