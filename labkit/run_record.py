"""What a run dir records about its run: the config it ran with, and how it ended (summary.json).

Hydra would write ``.hydra/`` before the run takes its run dir's lock, and again on every resume,
so a second run or a resume with other settings replaced the record of the run that made the
checkpoints. The entry points therefore run Hydra with ``hydra.output_subdir: null`` and write the
record here, once the lock is held: ``.hydra/{config,hydra,overrides}.yaml`` for a new run, and
for a resume only ``.hydra/resumes/<time>/{config,overrides}.yaml`` beside the original.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from labkit.atomic_files import WriteError, write_text
from labkit.run_dir_lock import global_rank

RECORD_DIR = ".hydra"
RESUMES_DIR = "resumes"
SUMMARY_FILE = "summary.json"


def write_config_record(
    run_dir: Path, cfg: DictConfig, hydra_cfg: DictConfig | None, resuming: bool
) -> Path:
    """Save ``cfg`` and its overrides (unresolved, as Hydra saves them); returns the folder.

    ``hydra_cfg``: Hydra's own node (``HydraConfig.get()``), or None outside ``@hydra.main``.
    """
    record = run_dir / RECORD_DIR
    if resuming and (record / "config.yaml").is_file():
        record = record / RESUMES_DIR / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    overrides = list(hydra_cfg.overrides.task) if hydra_cfg is not None else []
    write_text(record / "config.yaml", OmegaConf.to_yaml(cfg))
    write_text(record / "overrides.yaml", OmegaConf.to_yaml(OmegaConf.create(overrides)))
    if hydra_cfg is not None and record.parent.name != RESUMES_DIR:
        write_text(record / "hydra.yaml", OmegaConf.to_yaml(OmegaConf.create({"hydra": hydra_cfg})))
    return record


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    """The run's summary.json, or None when it has none or it cannot be read."""
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    """Write summary.json atomically (the previous one stays whole if this write fails)."""
    write_text(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")


def record_finished(
    run_dir: Path,
    metrics: Mapping[str, float],
    *,
    job: str,
    epochs: int | None,
    params_total: int | None,
    wall_time_s: float,
    checkpoint: str | None,
    best: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Write the summary.json of a run that ended well; returns it, in its keys' order.

    The torch side (``callbacks.run_summary``) and the NumPy runners both write it here, so
    report.py reads either run alike. ``metrics``: the final figures
    (``test/acc``, ``time/...``); ``job``: ``train``, or ``eval`` for a run that only tested;
    ``epochs``: how many were trained (1 for a one-epoch run); ``checkpoint``: the weights
    tested, relative to ``run_dir`` (None when they were never a file); ``best``: the validation
    figures of the epoch whose weights were tested, with that epoch as ``best_epoch``, counted
    from 0 as metrics.csv's ``epoch`` column counts.
    """
    summary = {
        **metrics,
        "status": "finished",
        "job": job,
        "epochs": epochs,
        "params_total": params_total,
        "wall_time_s": round(wall_time_s, 2),
        "checkpoint": checkpoint,
        **(best or {}),
    }
    write_summary(run_dir, summary)
    return summary


def record_end(run_dir: Path, status: str, error: str, **details: Any) -> None:
    """Leave ``{"status": status, "error": error, ...}`` in summary.json and the run's log file.

    Best effort: the reason a run ends may be the full disk this write needs; the message the
    user sees on the console then says so, and the previous summary.json stays whole. Only the
    process of rank zero writes (DDP's others end the same way).
    """
    if global_rank() != 0:
        return
    with contextlib.suppress(WriteError):
        write_summary(run_dir, {"status": status, "error": error, **details})
    log_to_files(f"{status}: {error}")


def log_to_files(message: str) -> None:
    """Write ``message`` to the log files of the root logger (Hydra's ``<job>.log``), not the console.

    The console already shows it as the entry point's one-line error.
    """
    record = logging.LogRecord("labkit", logging.ERROR, __file__, 0, message, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            with contextlib.suppress(OSError):
                handler.handle(record)
