"""report.py on run dirs left by tiny real runs: a sweep with a diverged job, a killed job, one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from run_report.build import ReportOptions, build_report
from run_report.overrides import label
from run_report.runs import Run, read_run
from tests.helpers.cli_runner import TINY_ARGS, run_train
from tests.helpers.train_numpy_subprocess import run_script
from tests.test_startup import _wandb_records

# The second diverges at once; the fourth is refused by the config check before it starts.
LRS = ("0.01", "1e30", "0.05", "-1")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, tiny_data_root) -> Path:
    """A 4-job sweep on tiny data, W&B offline on: two finish, two fail."""
    cwd = tmp_path_factory.mktemp("sweep")
    result = run_train(
        cwd,
        "-m",
        *[a for a in TINY_ARGS if a != "logger=csv"],
        "trainer.max_epochs=1",
        "trainer.log_every_n_steps=2",
        "optimizer=sgd",
        f"model.optimizer.lr={','.join(LRS)}",
        "hydra.sweep.dir=sweep",
        labkit_data=tiny_data_root,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "sweep"


def _override(job: Path, key: str) -> str:
    """The job's override of ``key`` as Hydra wrote it (``model.optimizer.lr=1e+30``)."""
    (text,) = [
        o
        for o in yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        if o.startswith(f"{key}=")
    ]
    return text


def _summary(job: Path) -> dict:
    return json.loads((job / "summary.json").read_text())


def test_failed_jobs_are_recorded_as_such_and_the_sweep_goes_on(sweep):
    statuses = [_summary(sweep / str(i))["status"] for i in range(len(LRS))]
    assert statuses == ["finished", "failed", "finished", "failed"]
    assert "model.optimizer.lr must be a finite number > 0" in _summary(sweep / "3")["error"]
    assert "not finite" in _summary(sweep / "1")["error"] or "nan" in _summary(sweep / "1")["error"]


def _wandb_run(job: Path):
    """The run record (name, group, ...) of a job's offline W&B file."""
    from wandb.proto import wandb_internal_pb2

    (record_file,) = (job / "wandb").glob("offline-run-*/run-*.wandb")
    for raw in _wandb_records(record_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "run":
            return record.run
    raise AssertionError(f"{record_file} holds no run record")


def test_each_wandb_run_of_a_sweep_is_named_by_the_overrides_it_varies(sweep):
    started = range(3)  # the job refused by the config check never opened a W&B run
    runs = [_wandb_run(sweep / str(i)) for i in started]
    # optimizer=sgd is on the command line of every job: it names none of them.
    swept = [_override(sweep / str(i), "model.optimizer.lr") for i in started]
    assert [r.display_name for r in runs] == swept
    assert [float(s.partition("=")[2]) for s in swept] == [float(LRS[i]) for i in started]
    assert len({r.run_group for r in runs}) == 1 and runs[0].run_group.startswith("mnist_mlp-")


def test_sweep_report_has_a_row_per_job_the_best_job_and_curves(sweep, tmp_path):
    result, torch_loaded = run_script("report.py", tmp_path, str(sweep), "--out", "rep")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded, "report.py imported torch"
    report = (tmp_path / "rep" / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    by_job = {r.split("|")[1].strip().strip("*"): r for r in rows[2:]}
    assert sorted(by_job) == ["0", "1", "2", "3"]
    for i in range(len(LRS)):
        cells = [c.strip() for c in by_job[str(i)].strip("|").split("|")]
        assert cells[header.index("overrides")] == _override(sweep / str(i), "model.optimizer.lr")
    assert "failed" in by_job["1"] and "failed" in by_job["3"]
    # The best job by the runs' optimized_metric (val/acc_best, max) among the finished ones.
    best = max((0, 2), key=lambda i: (_best_val(sweep / str(i)), -i))
    assert f"Best job by val/acc_best (max): `{best}`" in report
    test_acc = _summary(sweep / str(best))["test/acc"]
    cells = [c.strip() for c in by_job[str(best)].strip("|").split("|")]
    assert cells[header.index("test/acc")] == f"{test_acc:.4g}"
    assert cells[header.index("parameters")] == f"{_summary(sweep / str(best))['params_total']:,}"
    assert (tmp_path / "rep" / "curves.png").read_bytes().startswith(b"\x89PNG")


def _best_val(job: Path) -> float:
    return read_run(job, job.name).final("val/acc_best")


def test_a_killed_job_is_reported_unfinished_and_best_by_a_named_metric(sweep, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("wandb", "checkpoints"))
    (copy / "2" / "summary.json").unlink()  # what a job killed mid-training leaves
    report = build_report(copy, ReportOptions(best="val/loss", group_by="model.optimizer.lr"))
    text = report.read_text()
    assert f"| 2 | {_override(copy / '2', 'model.optimizer.lr')} | unfinished |" in text
    assert "Best job by val/loss (min): `0`" in text  # the only finished job left
    assert "## Jobs that did not finish" in text
    # One figure per lr; the diverged job logged no finite value, and the report says so.
    assert len(list(report.parent.glob("curves_model_optimizer_lr_*.png"))) == 2
    assert f"No curves logged for {_override(copy / '1', 'model.optimizer.lr')}." in text


def test_single_run_report_gives_its_summary_and_curves(sweep, tmp_path):
    report = build_report(sweep / "0", ReportOptions(out_dir=tmp_path))
    text = report.read_text()
    assert "Status: **finished**" in text
    test_acc = _summary(sweep / "0")["test/acc"]
    assert f"| test/acc | {test_acc:.4g} |" in text
    assert (tmp_path / "curves.png").is_file()


def test_pivot_puts_a_metric_of_each_pair_of_values_in_a_grid(sweep, tmp_path):
    report = build_report(
        sweep, ReportOptions(out_dir=tmp_path, pivot=("optimizer", "model.optimizer.lr"))
    )
    text = report.read_text()
    acc = [f"{_summary(sweep / str(i))['test/acc']:.4g}" for i in (0, 2)]
    assert f"| optimizer=sgd | {acc[0]} | failed | {acc[1]} | failed |" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nowhere"], "does not exist"),
        (["."], "holds no run"),
        (["--best", "val/acc:up", "."], "holds no run"),
    ],
)
def test_report_on_a_folder_without_a_run_says_so_without_torch(tmp_path, args, expected):
    result, torch_loaded = run_script("report.py", tmp_path, *args)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not torch_loaded


def test_jobs_a_sweep_has_not_begun_are_counted_and_marked_not_run(sweep, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("wandb", "checkpoints", "2", "3"))
    report = build_report(copy, ReportOptions(pivot=("optimizer", "model.optimizer.lr")))
    text = report.read_text()
    assert f"2 jobs of the {len(LRS)} the sweep plans" in text
    acc = f"{_summary(sweep / '0')['test/acc']:.4g}"
    assert f"| optimizer=sgd | {acc} | failed | not run | not run |" in text


def test_job_labels_shorten_searched_floats_and_keep_everything_else():
    overrides = {
        "model.optimizer.lr": "0.0111654646702134",
        "model.optimizer.weight_decay": "9.505122659935192e-05",
        "optimizer": "adam_lr1e-2",
        "data.max_shift": "2",
        "model.net.channels": "[8,16]",
    }
    run = Run(Path("."), "0", "finished", None, {}, overrides, OmegaConf.create({}))
    assert label(run, list(overrides)) == (
        "model.optimizer.lr=0.01117 model.optimizer.weight_decay=9.505e-05 "
        "optimizer=adam_lr1e-2 data.max_shift=2 model.net.channels=[8,16]"
    )
