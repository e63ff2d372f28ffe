"""metrics.csv survives a resume, and no warning about lost files fires on a normal run."""

import csv
import warnings

import pytest

from labkit.resumable_csv_logger import ResumableCSVLogger
from labkit.training import train


def _rows(path):
    with path.open(newline="") as f:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(f)]


def _crashed_run(run_dir):
    """Rows a run logged before it was killed: its checkpoint came after the step-3 rows."""
    logger = ResumableCSVLogger(str(run_dir))
    for step in range(3):
        logger.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    logger.log_metrics({"val/acc": 0.5, "epoch": 0}, step=2)
    logger.log_metrics({"train/loss": 0.2}, step=3)  # after the checkpoint
    logger.log_metrics({"train/loss": 0.1}, step=4)


def test_a_resumed_run_keeps_the_rows_before_its_first_step_and_replaces_the_rest(tmp_path):
    (tmp_path / ".hydra").mkdir()  # a Hydra run dir is never empty
    _crashed_run(tmp_path)
    resumed = ResumableCSVLogger(str(tmp_path), resume=True)
    resumed.log_metrics({"train/loss": 0.25, "lr": 0.001}, step=3)
    resumed.log_metrics({"train/loss": 0.15}, step=4)
    assert _rows(tmp_path / "metrics.csv") == [
        {"step": "0", "train/loss": "1.0"},
        {"step": "1", "train/loss": "0.5"},
        {"step": "2", "train/loss": "0.3333333333333333"},
        {"step": "2", "val/acc": "0.5", "epoch": "0"},
        {"step": "3", "train/loss": "0.25", "lr": "0.001"},
        {"step": "4", "train/loss": "0.15"},
    ]


def test_columns_are_sorted_like_lightnings_csv_logger(tmp_path):
    logger = ResumableCSVLogger(str(tmp_path))
    logger.log_metrics({"val/acc": 0.5}, step=0)
    logger.log_metrics({"epoch": 0, "train/acc": 0.25}, step=0)
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,step,train/acc,val/acc"


def test_a_fresh_run_in_a_dir_with_metrics_says_it_replaces_them(tmp_path):
    _crashed_run(tmp_path)
    logger = ResumableCSVLogger(str(tmp_path))
    with pytest.warns(UserWarning, match="replaces them. To continue that run instead"):
        logger.log_metrics({"train/loss": 9.0}, step=0)
    assert _rows(tmp_path / "metrics.csv") == [{"step": "0", "train/loss": "9.0"}]


def _lost_file_warnings(caught, words):
    return [str(w.message) for w in caught if any(s in str(w.message) for s in words)]


def test_a_normal_run_and_its_resume_warn_about_no_lost_files(make_cfg, tmp_path):
    args = ("trainer.max_epochs=1", "callbacks.progress_bar=null", "logger=csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(make_cfg(*args))
    assert not _lost_file_warnings(caught, ("not empty", "deleted", "overwrit", "replaces"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(make_cfg(*args, "resume=true"))
    # (Lightning's ModelCheckpoint says "Checkpoint directory ... exists and is not empty" on
    # every fit into a run dir that has checkpoints, a resume included; it deletes nothing.)
    assert not _lost_file_warnings(caught, ("Experiment logs", "deleted", "metrics", "replaces"))
    assert (tmp_path / "run" / "metrics.csv").is_file()
