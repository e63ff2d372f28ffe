"""Faults that used to lose data or give a silently wrong result, each checked on a real run.

A full disk during a save, a moved or copied run dir, a resume of a finished run, weights that
turn inf on a finite loss, a resume with another split or seed, corrupt checkpoint bytes, two
runs in one run dir, SIGTERM and Ctrl-C, and a config error in a single run.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest
import torch
import yaml

from callbacks.nonfinite_loss_guard import NonFiniteLossError
from labkit import atomic_files
from labkit.atomic_files import WriteError
from labkit.checkpoint_io import ChecksummedCheckpointIO, is_intact
from labkit.checkpoints import resume_path
from labkit.errors import ConfigError
from labkit.run_dir_lock import RunDirBusyError, run_dir_lock
from labkit.training import train
from tests.helpers.cli_runner import ROOT, TINY_ARGS, run_train, summary

# 500 training images in batches of 32: 16 steps per epoch, one optimizer step per Lightning step.
QUIET = ("callbacks.progress_bar=null", "logger=csv")
THREE_EPOCHS = (*TINY_ARGS, "trainer.max_epochs=3")


def _load(path):
    return torch.load(path, weights_only=True)


def _finite(checkpoint) -> bool:
    return all(
        torch.isfinite(v).all() for k, v in checkpoint["state_dict"].items() if k.startswith("net.")
    )


def _files(run_dir) -> dict[str, bytes]:
    """Every file of a run dir but its log (which each process appends to), by relative path."""
    return {
        str(p.relative_to(run_dir)): p.read_bytes()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name != "train.log"
    }


@pytest.fixture(scope="module")
def straight(tmp_path_factory, tiny_data_root):
    """An uninterrupted 3-epoch run, for what an interrupted and resumed one must equal."""
    cwd = tmp_path_factory.mktemp("straight")
    done = run_train(cwd, *THREE_EPOCHS, "hydra.run.dir=run", labkit_data=tiny_data_root)
    assert done.returncode == 0, done.stderr[-3000:]
    return summary(cwd / "run")


# -- 1. a full disk --------------------------------------------------------------------------------
def test_disk_full_during_save_keeps_the_last_good_checkpoint(make_cfg, tmp_path, monkeypatch):
    real_fsync, written = os.fsync, []

    def fsync_until_full(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if re.search(r"\.ckpt\.\d+\.part$", name):  # a checkpoint, not its checksum
            written.append(name)
        if len(written) > 2:  # epoch 0 saved best.ckpt and last.ckpt; then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(atomic_files.os, "fsync", fsync_until_full)
    # Whatever epoch 1 writes first (its curves, a checkpoint) fails, naming that file.
    with pytest.raises(WriteError, match=r"Could not write \S+: No space left on device"):
        train(make_cfg(*QUIET, "trainer.max_epochs=2"))
    monkeypatch.setattr(atomic_files.os, "fsync", real_fsync)

    run = tmp_path / "run"
    for name in ("best.ckpt", "last.ckpt"):
        checkpoint = run / "checkpoints" / name
        assert is_intact(checkpoint), f"{name} does not match its checksum"
        assert _load(checkpoint)["epoch"] == 0, f"{name} is not epoch 0's"
    assert not list(run.rglob("*.part")), "a partial file was left behind"
    # The failure could not be recorded on the full disk: no summary.json rather than a 0-byte one.
    assert not (run / "summary.json").exists()


def test_a_failed_write_names_the_path_and_the_free_space(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_text('{"status": "finished"}\n')

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_files.os, "fsync", full)
    with pytest.raises(WriteError) as err:
        atomic_files.write_text(target, "half")
    assert str(target) in str(err.value) and " free on that filesystem" in str(err.value)
    assert target.read_text() == '{"status": "finished"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_metrics_row_that_does_not_fit_on_the_disk_is_cut_back_off(tmp_path, monkeypatch):
    from labkit.resumable_csv_logger import ResumableCSVLogger

    logger = ResumableCSVLogger(str(tmp_path))
    logger.log_metrics({"train/loss": 1.0}, step=0)
    logger.log_metrics({"train/loss": 0.5}, step=1)
    before = (tmp_path / "metrics.csv").read_bytes()
    real_write = os.write

    def half_then_full(fd, data):  # part of the row lands, then the disk is full
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_files.os, "write", half_then_full)
    with pytest.raises(WriteError, match="metrics.csv: No space left on device"):
        logger.log_metrics({"train/loss": 0.25}, step=2)
    assert (tmp_path / "metrics.csv").read_bytes() == before


# -- 2. a moved or copied run dir ----------------------------------------------------------------
def test_a_moved_run_dir_resumes_with_its_own_checkpoints_and_best_score(make_cfg, tmp_path):
    args = (*QUIET, "trainer.max_epochs=3")
    train(make_cfg(*args, run_dir="straight"))
    expected = json.loads((tmp_path / "straight" / "summary.json").read_text())

    crash = (
        "+callbacks.crash._target_=tests.helpers.crash_callbacks.CrashAtStep",
        "+callbacks.crash.step=40",
    )
    with pytest.raises(RuntimeError, match="crash at step 40"):
        train(make_cfg(*args, *crash, run_dir="run_a"))
    shutil.move(tmp_path / "run_a", tmp_path / "run_b")
    train(make_cfg(*args, "resume=true", run_dir="run_b"))

    got = json.loads((tmp_path / "run_b" / "summary.json").read_text())
    assert got["checkpoint"] == "checkpoints/best.ckpt"
    # The best score survived the move: best.ckpt is the best epoch's, not the last one seen.
    for key in ("best_epoch", "val/acc", "val/loss", "test/acc", "test/loss"):
        assert got[key] == expected[key], f"{key}: uninterrupted {expected[key]}, moved {got[key]}"
    state = _load(tmp_path / "run_b/checkpoints/last.ckpt")["callbacks"]
    stored = [s for k, s in state.items() if k.startswith("RunDirCheckpoint")]
    assert stored and stored[0]["best_model_path"] == "best.ckpt" and stored[0]["dirpath"] == "."


def test_a_copied_run_dir_never_tests_the_originals_checkpoint(make_cfg, tmp_path):
    # A run whose last validation is done: a resume only tests, on the checkpoint its state names.
    args = (*QUIET, "trainer.max_epochs=2")
    train(make_cfg(*args, run_dir="run_a"))
    shutil.copytree(tmp_path / "run_a", tmp_path / "run_b")
    (tmp_path / "run_b" / "summary.json").unlink()  # as if it had been killed in its test
    original = _files(tmp_path / "run_a")
    train(make_cfg(*args, "resume=true", run_dir="run_b"))
    assert _files(tmp_path / "run_a") == original, "the resume touched the original run dir"
    got = json.loads((tmp_path / "run_b" / "summary.json").read_text())
    assert got["checkpoint"] == "checkpoints/best.ckpt", f"tested {got['checkpoint']}"


def test_resume_on_a_finished_run_changes_nothing_and_says_so(tmp_path, tiny_data_root):
    args = (*TINY_ARGS, "trainer.max_epochs=1", "hydra.run.dir=run")
    assert run_train(tmp_path, *args, labkit_data=tiny_data_root).returncode == 0
    before = _files(tmp_path / "run")
    again = run_train(tmp_path, *args, "resume=true", labkit_data=tiny_data_root)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "is a finished run" in again.stderr and "nothing was changed" in again.stderr
    assert _files(tmp_path / "run") == before


# -- 3. weights that turn inf on a finite loss ---------------------------------------------------
def test_a_step_that_makes_the_weights_inf_stops_before_a_checkpoint_holds_them(make_cfg, tmp_path):
    # The issue's own run: one SGD step at lr 3e38 on inputs scaled up 300-fold.
    cfg = make_cfg(
        *QUIET,
        "optimizer=sgd",
        "model.optimizer.lr=3e38",
        "data.std=0.001",
        "trainer.max_epochs=3",
        "++trainer.limit_train_batches=1",
    )
    with pytest.raises(NonFiniteLossError, match=r"val/loss is nan.*No checkpoint with finite"):
        train(cfg)
    checkpoints = list((tmp_path / "run").rglob("*.ckpt"))
    assert all(_finite(_load(p)) for p in checkpoints), "non-finite weights were checkpointed"
    assert json.loads((tmp_path / "run/summary.json").read_text())["status"] == "failed"


def test_inf_weights_are_refused_at_the_save_and_the_message_names_the_good_checkpoint(
    make_cfg, tmp_path
):
    cfg = make_cfg(
        *QUIET,
        "trainer.max_epochs=1",
        "callbacks.last_checkpoint.every_n_train_steps=4",
        "+callbacks.inf._target_=tests.helpers.crash_callbacks.InfWeightsAfterStep",
        "+callbacks.inf.step=7",  # the save after step 7 would hold them; the one at 4 is good
    )
    last = tmp_path / "run/checkpoints/last.ckpt"
    with pytest.raises(NonFiniteLossError, match=rf"weights are not .*good weights are in {last}"):
        train(cfg)
    assert _load(last)["global_step"] == 4 and _finite(_load(last))


# -- 4. a resume with other data or another seed -------------------------------------------------
def test_resume_refuses_another_split_or_seed_and_keeps_the_config_record(tmp_path, tiny_data_root):
    args = (*THREE_EPOCHS, "hydra.run.dir=run")
    kill = (
        "+callbacks.kill._target_=tests.helpers.crash_callbacks.KillAtStep",
        "+callbacks.kill.step=20",
    )
    killed = run_train(tmp_path, *args, *kill, labkit_data=tiny_data_root)
    assert killed.returncode == -signal.SIGKILL
    run = tmp_path / "run"
    record = (run / ".hydra/config.yaml").read_bytes()

    refused = run_train(
        tmp_path, *args, "resume=true", "data.split_seed=999", "seed=7", labkit_data=tiny_data_root
    )
    assert refused.returncode == 2
    for change in ("data.split_seed: 12345 in that run, 999 now", "seed: 42 in that run, 7 now"):
        assert change in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (run / "summary.json").exists(), "a refused resume recorded the run as failed"

    resumed = run_train(tmp_path, *args, "resume=true", labkit_data=tiny_data_root)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (run / ".hydra/config.yaml").read_bytes() == record, "the original record changed"
    resumes = sorted((run / ".hydra/resumes").glob("*/overrides.yaml"))
    assert resumes and "resume=true" in yaml.safe_load(resumes[-1].read_text())


# -- 5. corrupt checkpoint bytes -----------------------------------------------------------------
def test_corrupt_checkpoint_bytes_are_refused_naming_the_intact_one(make_cfg, tmp_path):
    train(make_cfg(*QUIET, "trainer.max_epochs=1"))
    checkpoints = tmp_path / "run/checkpoints"
    last, best = checkpoints / "last.ckpt", checkpoints / "best.ckpt"
    data = bytearray(last.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4000] = os.urandom(4000)
    last.write_bytes(bytes(data))

    corrupt = rf"Checkpoint {last} is corrupt: .*{best} is intact"
    with pytest.raises(ConfigError, match=corrupt):
        resume_path(None, True, str(tmp_path / "run"))
    with pytest.raises(ConfigError, match=corrupt):
        train(make_cfg(*QUIET, "train=false", f"ckpt_path={last}", run_dir="eval"))
    with pytest.raises(ConfigError, match=corrupt):  # Lightning's own loading checks it too
        ChecksummedCheckpointIO().load_checkpoint(last)
    assert ChecksummedCheckpointIO().load_checkpoint(best)["epoch"] == 0


# -- 6. two runs in one run dir ------------------------------------------------------------------
_HOLD_LOCK = (
    "import sys, time; from labkit.run_dir_lock import run_dir_lock\n"
    "with run_dir_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)\n"
)


def _hold_lock(run_dir) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(run_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_in_a_live_run_dir_is_refused_naming_its_pid(tmp_path, tiny_data_root):
    holder = _hold_lock(tmp_path / "run")
    try:
        second = run_train(
            tmp_path,
            *TINY_ARGS,
            "trainer.max_epochs=1",
            "hydra.run.dir=run",
            labkit_data=tiny_data_root,
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2
    assert f"in use by another run (PID {holder.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (tmp_path / "run/metrics.csv").exists() and not (tmp_path / "run/.hydra").exists()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    holder = _hold_lock(tmp_path)
    with pytest.raises(RunDirBusyError, match=f"PID {holder.pid}"), run_dir_lock(tmp_path):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_dir_lock(tmp_path):
        assert (tmp_path / ".run.lock").read_text().strip() == str(os.getpid())


# -- 8. SIGTERM and Ctrl-C -----------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_saves_last_ckpt_records_interrupted_and_resume_continues(
    tmp_path, tiny_data_root, straight, signum
):
    args = (*THREE_EPOCHS, "hydra.run.dir=run")
    stop = (
        "+callbacks.stop._target_=tests.helpers.crash_callbacks.SignalAtStep",
        "+callbacks.stop.step=21",  # epoch 1, batch 5: the loop stops after this batch
        f"+callbacks.stop.signum={int(signum)}",
    )
    stopped = run_train(tmp_path, *args, *stop, labkit_data=tiny_data_root)
    assert stopped.returncode == 128 + signum, stopped.stderr[-2000:]
    assert "Traceback" not in stopped.stderr
    run = tmp_path / "run"
    record = summary(run)
    assert record["status"] == "interrupted" and record["signal"] == signal.Signals(signum).name
    assert "resume=true" in record["error"]
    assert _load(run / "checkpoints/last.ckpt")["global_step"] == 22, "not saved at the signal"

    resumed = run_train(tmp_path, *args, "resume=true", labkit_data=tiny_data_root)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    got = summary(run)
    assert got["status"] == "finished"
    for key in ("test/acc", "test/loss", "best_epoch"):
        assert got[key] == straight[key], (
            f"{key}: uninterrupted {straight[key]}, resumed {got[key]}"
        )


# -- config errors in a single run ---------------------------------------------------------------
def test_a_config_error_in_a_single_run_is_recorded_failed_in_summary_and_log(
    tmp_path, tiny_data_root
):
    done = run_train(
        tmp_path,
        *TINY_ARGS,
        "model.optimizer.lr=inf",
        "hydra.run.dir=run",
        labkit_data=tiny_data_root,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    record = summary(tmp_path / "run")
    assert record["status"] == "failed" and "model.optimizer.lr must be" in record["error"]
    assert "model.optimizer.lr must be" in (tmp_path / "run/train.log").read_text()


@pytest.mark.parametrize(
    "override, key",
    [
        ("data.split_seed=abc", "data.split_seed"),
        ("data.split_seed=1.5", "data.split_seed"),
        ("data.split_seed=-1", "data.split_seed"),
        ("seed=abc", "seed"),
        ("model.optimizer.lr=inf", "model.optimizer.lr"),
        ("model.optimizer.lr=1e300", "model.optimizer.lr"),
    ],
)
def test_bad_seeds_and_learning_rates_are_refused_by_the_config_check(make_cfg, override, key):
    from labkit.config_checks import check_config

    with pytest.raises(ConfigError, match=rf"^{key} must be .*e\.g\. {key}="):
        check_config(make_cfg(override))


def test_the_config_check_still_takes_a_learning_rate_float32_can_hold(make_cfg):
    from labkit.config_checks import check_config

    check_config(make_cfg("model.optimizer.lr=3e38"))
