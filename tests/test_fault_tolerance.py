"""Crashes and bad checkpoints: resume after SIGKILL, non-finite loss, foreign checkpoints."""

import csv
import json
import signal

import hydra
import pytest
import torch
from torchmetrics import Metric

from callbacks.nonfinite_loss_guard import NonFiniteLossError, NonFiniteLossGuard
from labkit.checkpoints import load_weights
from labkit.errors import ConfigError
from labkit.training import train
from tests.helpers.cli_runner import TINY_ARGS, run_train, summary

EPOCHS = ("trainer.max_epochs=3", "trainer.log_every_n_steps=1")
# Where a resumed run may differ from an uninterrupted one: the training aggregates of the
# epoch it resumed in, which cover only the batches after the checkpoint.
INTERRUPTED_EPOCH_AGGREGATES = ("train/acc", "train/loss_epoch")


def _csv_rows(run_dir):
    with (run_dir / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_data_root):
    """The run dir of an uninterrupted run."""
    cwd = tmp_path_factory.mktemp("uninterrupted")
    done = run_train(cwd, *TINY_ARGS, *EPOCHS, "hydra.run.dir=run", labkit_data=tiny_data_root)
    assert done.returncode == 0, done.stderr[-3000:]
    return cwd / "run"


def _assert_same_rows(straight, resumed, interrupted_epoch):
    assert len(resumed) == len(straight), (
        f"{len(resumed)} rows after the resume vs {len(straight)} uninterrupted"
    )
    for i, (a, b) in enumerate(zip(straight, resumed, strict=True)):
        skip = INTERRUPTED_EPOCH_AGGREGATES if a.get("epoch") == str(interrupted_epoch) else ()
        differ = {k: (a[k], b.get(k)) for k in a if k not in skip and a[k] != b.get(k)}
        assert not differ, f"row {i} (step {a['step']}): uninterrupted vs resumed {differ}"


@pytest.mark.parametrize(
    "every, kill_at, saved_at, loggers",
    [
        # 500 training images / batch 32 = 16 steps per epoch. Killed at step 22 (epoch 1,
        # batch 6) with last.ckpt from step 20, so 2 batches are redone.
        (5, 22, 20, "logger=csv"),
        # Killed in epoch 1 with last.ckpt from the end of epoch 0: step 16 is a multiple of
        # 16, but at an epoch's last batch the save waits for the epoch's end. With W&B.
        (16, 24, 16, "logger=default"),
    ],
    ids=["mid-epoch", "epoch-end-wandb"],
)
def test_resume_after_sigkill_gives_the_metrics_curves_and_summary_of_an_uninterrupted_run(
    tmp_path, tiny_data_root, uninterrupted, every, kill_at, saved_at, loggers
):
    args = (
        *(a for a in TINY_ARGS if not a.startswith("logger=")),
        *EPOCHS,
        loggers,
        f"callbacks.last_checkpoint.every_n_train_steps={every}",
    )
    straight = uninterrupted
    killed = run_train(
        tmp_path,
        *args,
        "hydra.run.dir=crashed",
        "+callbacks.kill._target_=tests.helpers.crash_callbacks.KillAtStep",
        f"+callbacks.kill.step={kill_at}",
        labkit_data=tiny_data_root,
    )
    assert killed.returncode == -signal.SIGKILL
    last = torch.load(tmp_path / "crashed/checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == saved_at, "not the checkpoint this case is about"

    resumed = run_train(
        tmp_path,
        *args,
        "hydra.run.dir=crashed",
        "resume=true",
        labkit_data=tiny_data_root,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = summary(straight), summary(tmp_path / "crashed")
    for key in ("test/acc", "test/loss"):
        assert a[key] == b[key], f"{key}: uninterrupted {a[key]} vs resumed {b[key]}"
    assert a["epochs"] == b["epochs"] == 3
    # The wall time covers the run up to the checkpoint too, not only the resumed process.
    assert b["wall_time_s"] > last["callbacks"]["RunSummary"]["wall_time_s"] > 0

    # metrics.csv: every row of the uninterrupted run, once, the crashed run's rows up to the
    # checkpoint included (the crash left rows after it too, which the resume replaced).
    _assert_same_rows(_csv_rows(straight), _csv_rows(tmp_path / "crashed"), last["epoch"])

    # The curves: the history behind plots/curves.png (as the last epoch-end checkpoint holds
    # it) covers every epoch, as uninterrupted.
    def history(run_dir):
        ckpt = torch.load(run_dir / "checkpoints/last.ckpt", weights_only=True)
        return ckpt["callbacks"]["MetricCurvesPlot"]["history"]

    h_straight, h_resumed = history(straight), history(tmp_path / "crashed")
    assert h_resumed.keys() == h_straight.keys() and h_straight
    for key, series in h_straight.items():
        assert [e for e, _ in h_resumed[key]] == [e for e, _ in series] == [0, 1, 2], key
        if key not in INTERRUPTED_EPOCH_AGGREGATES:
            assert h_resumed[key] == series, key
    assert (tmp_path / "crashed/plots/curves.png").stat().st_size > 5000

    if loggers == "logger=default":  # the resumed process logged into the same W&B run
        records = sorted((tmp_path / "crashed/wandb").glob("offline-run-*/run-*.wandb"))
        assert len(records) == 2, records
        assert records[0].name == records[1].name == f"run-{_wandb_id(tmp_path / 'crashed')}.wandb"


def _wandb_id(run_dir):
    return (run_dir / "wandb/run_id.txt").read_text().strip()


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


# NaN weights before step `poison`, last.ckpt every 4 steps: the last good checkpoint is the
# one before the poison (step 8's is written after step 8, before the weights are poisoned).
NAN_RUNS = pytest.mark.parametrize(
    "poison, good, gpu_window", [(6, 4, "4 and 7"), (9, 8, "8 and 11")]
)


def _nan_run(make_cfg, poison):
    return make_cfg(
        "trainer.max_epochs=2",
        "callbacks.progress_bar=null",
        "callbacks.last_checkpoint.every_n_train_steps=4",
        "+callbacks.poison._target_=tests.helpers.crash_callbacks.PoisonWeightsAtStep",
        f"+callbacks.poison.step={poison}",
    )


@NAN_RUNS
def test_nonfinite_loss_stops_names_the_step_and_keeps_the_last_good_checkpoint(
    make_cfg, tmp_path, poison, good, gpu_window
):
    cfg = _nan_run(make_cfg, poison)
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
    make_cfg, tmp_path, monkeypatch, poison, good, gpu_window
):
    # The GPU path (no per-step read), exercised on CPU tensors: the NaN is found when the next
    # checkpoint is about to be written, and that checkpoint is not.
    monkeypatch.setattr(NonFiniteLossGuard, "_reads_are_cheap", staticmethod(lambda loss: False))
    cfg = _nan_run(make_cfg, poison)
    with pytest.raises(
        NonFiniteLossError, match=rf"not finite between steps {gpu_window} \(epoch 0"
    ):
        train(cfg)
    last = torch.load(tmp_path / "run" / "checkpoints/last.ckpt", weights_only=True)
    assert last["global_step"] == good


def test_resume_with_another_length_stops_before_touching_the_run_and_says_how_to_train_longer(
    make_cfg, tmp_path
):
    args = ("trainer.max_epochs=1", "callbacks.progress_bar=null", "logger=csv")
    train(make_cfg(*args))
    run = tmp_path / "run"
    before = {name: (run / name).read_bytes() for name in ("metrics.csv", "summary.json")}
    with pytest.raises(
        ConfigError,
        match=r"trainer.max_epochs: 1 in that run, 2 now.* train longer, start a new run from "
        r"its weights .*trainer.max_epochs=<more epochs> ckpt_path=.*last.ckpt",
    ):
        train(make_cfg(*args[1:], "trainer.max_epochs=2", "resume=true"))
    assert {name: (run / name).read_bytes() for name in before} == before


def test_a_new_run_from_a_checkpoint_trains_its_weights_on_a_schedule_of_its_own(
    make_cfg, tmp_path
):
    args = ("callbacks.progress_bar=null", "logger=csv")
    train(make_cfg(*args, "trainer.max_epochs=1", run_dir="first"))
    ckpt = tmp_path / "first/checkpoints/last.ckpt"
    train(make_cfg(*args, "trainer.max_epochs=2", f"ckpt_path={ckpt}", run_dir="longer"))
    first, longer = _csv_rows(tmp_path / "first"), _csv_rows(tmp_path / "longer")
    # A fresh cosine schedule over the new run's 2 epochs, from the configured learning rate.
    lr = make_cfg().model.optimizer.lr
    assert [float(r["lr-Adam"]) for r in longer if r["lr-Adam"]] == pytest.approx([lr, lr / 2])
    # Started from the trained weights: its first epoch ends better than the first run's did.
    val_loss = lambda rows: [float(r["val/loss"]) for r in rows if r["val/loss"]]
    assert val_loss(longer)[0] < val_loss(first)[0]
    assert summary(tmp_path / "longer")["epochs"] == 2


def test_weights_from_a_checkpoint_leave_the_new_models_metric_states_alone(make_cfg, tmp_path):
    cfg = make_cfg()
    trained = hydra.utils.instantiate(cfg.model)
    metric_states = [
        f"{name}.{key}"
        for name, m in trained.named_modules()
        if isinstance(m, Metric)
        for key in m.state_dict()
    ]
    assert metric_states, "expected a persistent metric (the best validation value so far)"
    state = {k: v.clone() for k, v in trained.state_dict().items()}
    for key in state:
        state[key] = state[key].fill_(0.125) if key in metric_states else state[key] + 1
    torch.save({"state_dict": state}, tmp_path / "trained.ckpt")

    fresh = hydra.utils.instantiate(cfg.model)
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    load_weights(str(tmp_path / "trained.ckpt"), fresh)
    for key, value in fresh.state_dict().items():
        expected = before[key] if key in metric_states else state[key]
        assert torch.equal(value, expected), key
