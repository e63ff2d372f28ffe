"""Start fast, fail fast: what the config alone decides comes before torch; a run ends complete."""

from __future__ import annotations

import csv
import json
import struct
import zlib
from pathlib import Path

import pytest
import torch

from tests.helpers.cli_runner import TINY_ARGS, run_train
from tests.helpers.train_numpy_subprocess import run_script


@pytest.mark.parametrize(
    ("script", "args", "code", "expected"),
    [
        ("train.py", ["--help"], 0, "mnist_mlp"),
        ("train.py", ["experiment=nope"], 1, "Could not find 'experiment/nope'"),
        ("train.py", ["data=nope"], 1, "Could not find 'data/nope'"),
        ("train.py", ["trainer.max_epoch=3"], 1, "Could not override 'trainer.max_epoch'"),
        (
            "train.py",
            ["model.optimizer.lr=-1"],
            2,
            "model.optimizer.lr must be a finite number > 0",
        ),
        ("train.py", ["experiment=numpy_mlp_mnist"], 2, "python train_numpy.py experiment="),
        ("train_numpy.py", ["--help"], 0, "numpy_mlp_mnist"),
        ("train_numpy.py", [], 2, "Choose one with experiment=<name>"),
        (
            "train_numpy.py",
            ["experiment=numpy_mlp_mnist", "numpy_optim.lr=-1"],
            2,
            "numpy_optim.lr must be a finite number > 0",
        ),
        ("baseline.py", ["--help"], 0, "train_size: 2000"),
        ("baseline.py", ["baseline.trainsize=300"], 1, "Could not override 'baseline.trainsize'"),
        ("baseline.py", ["+threads=0"], 2, "threads must be null or an integer > 0"),
        ("probe.py", ["--help"], 0, "accuracy_threshold: 0.95"),
        ("probe.py", ["weights.source=imagenet1k"], 2, "weights.source must be imagenet or random"),
        ("probe.py", ["probe.split_layer=features.13"], 2, "probe.split_layer must be one of"),
        ("probe.py", ["bouba_kiki.path=/nowhere/x.npz"], 2, "bouba_kiki.path=/nowhere/x.npz does"),
        ("report.py", ["--help"], 0, "--best"),
        ("report.py", ["no/such/dir"], 2, "no/such/dir does not exist"),
    ],
)
def test_help_and_config_errors_come_before_torch_is_imported(
    tmp_path, script, args, code, expected
):
    result, torch_loaded = run_script(script, tmp_path, *args)
    assert result.returncode == code, result.stderr[-3000:]
    assert expected in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stderr
    assert not torch_loaded, f"python {script} {' '.join(args)} imported torch"


def _wandb_records(path: Path) -> list[bytes]:
    """The records of a ``.wandb`` file, each frame's length and CRC checked.

    The file is W&B's record log (LevelDB's log format): a 7-byte header, then 32 KiB blocks of
    frames, each ``crc32 (4) | length (2) | type (1) | data``; a record too long for one block
    is split into first, middle and last frames.
    """
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} has no W&B header"
    records, pending, pos = [], b"", 7
    while pos < len(data):
        left = 32768 - pos % 32768
        if left < 7:  # a block's tail too short for a frame header is zero padding
            assert data[pos : pos + left] == bytes(left), f"bad padding at {pos}"
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        body = data[pos + 7 : pos + 7 + length]
        assert len(body) == length, f"{path}: record cut off at byte {pos}"
        assert zlib.crc32(body, zlib.crc32(bytes([kind]))) == crc, f"{path}: bad CRC at {pos}"
        pos += 7 + length
        pending += body
        if kind in (1, 4):  # full, or the last frame of a split record
            records.append(pending)
            pending = b""
    assert not pending, f"{path} ends inside a split record"
    return records


def test_a_run_leaves_every_file_complete_when_its_process_has_exited(tmp_path, tiny_data_root):
    # W&B on (TINY_ARGS turn it off): its offline files are written by a helper process.
    args = [a for a in TINY_ARGS if a != "logger=csv"]
    result = run_train(
        tmp_path,
        *args,
        "trainer.max_epochs=2",
        "hydra.run.dir=run",
        labkit_data=tiny_data_root,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"

    summary = json.loads((run / "summary.json").read_text())
    with (run / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["test/acc"] and float(rows[-1]["test/acc"]) == pytest.approx(
        summary["test/acc"]
    ), "metrics.csv does not end with the test row"
    for png in ("curves.png", "test_predictions.png"):
        assert (run / "plots" / png).read_bytes().endswith(b"IEND\xaeB`\x82"), f"{png} cut off"
    for ckpt in ("best.ckpt", "last.ckpt"):
        state = torch.load(run / "checkpoints" / ckpt, map_location="cpu", weights_only=True)
        assert state["state_dict"], f"{ckpt} holds no weights"

    from wandb.proto import wandb_internal_pb2

    (record_file,) = (run / "wandb").glob("offline-run-*/run-*.wandb")
    kinds = []
    for raw in _wandb_records(record_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        kinds.append(record.WhichOneof("record_type"))
    assert "exit" in kinds, f"the W&B run was never finished: {kinds[-5:]}"
    assert "summary" in kinds and "history" in kinds, kinds
