"""A torch-free run logger for the NumPy experiments: ``metrics.csv`` plus a W&B run.

Lightning's loggers import torch, so ``train_numpy.py`` uses this instead. It writes the same
shape of ``metrics.csv`` as Lightning's ``CSVLogger`` and ``ResumableCSVLogger`` (one row per
logging call, the sorted union of the metric names as columns, blanks where a row has no value,
an integer written as one: ``50890``, not ``50890.0``), so a reader of one (``report.py``) reads
both alike.
W&B is offline unless the user asked for online and online can work (see
``labkit.wandb_mode``); offline never prompts for a login and never touches the network
(``wandb sync <run dir>/wandb/offline-run-*`` uploads later).
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labkit.atomic_files import append_whole, atomic_open
from labkit.wandb_mode import decide_offline, env_mode

METRICS_FILE = "metrics.csv"


class RunLogger:
    """Log scalars to ``<output_dir>/metrics.csv`` and, if enabled, to a W&B run.

    Parameters
    ----------
    output_dir : run directory; the CSV and W&B's ``wandb/`` folder go there.
    config : the resolved run config (plain dict), stored with the W&B run.
    project, name, group, tags, job_type : W&B run metadata.
    offline : False asks for an online W&B run (see ``wandb_mode``: ``WANDB_MODE`` can overrule).
    use_wandb : False gives CSV only (no W&B import at all).

    Use as a context manager: the W&B run is finished on exit, marked failed on an exception.
    """

    def __init__(
        self,
        output_dir: str | Path,
        config: Mapping[str, Any],
        project: str = "labkit",
        name: str | None = None,
        group: str | None = None,
        tags: Sequence[str] = (),
        offline: bool = True,
        use_wandb: bool = True,
        job_type: str = "train",
    ) -> None:
        self.output_dir = Path(output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.output_dir / METRICS_FILE
        self._rows: list[dict[str, float | int]] = []
        self._columns: list[str] = []
        self._wandb_run = None
        if use_wandb:
            self._wandb_run = _start_wandb(
                self.output_dir, dict(config), project, name, group, list(tags), offline, job_type
            )

    # -- scalars ------------------------------------------------------------------------------------
    def log_metrics(
        self, metrics: Mapping[str, float], step: int, epoch: int | None = None
    ) -> None:
        """One CSV row (``step``, ``epoch`` and the metrics) and one W&B ``log`` at ``step``."""
        row: dict[str, float | int] = {"step": int(step)}
        if epoch is not None:
            row["epoch"] = int(epoch)
        row.update({key: _csv_number(value) for key, value in metrics.items()})
        self._rows.append(row)
        if not row.keys() <= set(self._columns):
            self._columns = sorted(set(self._columns) | row.keys())
            self._rewrite_csv()  # a new column changes the header, so the file is rewritten
        else:
            self._append_csv_row(row)
        if self._wandb_run is not None:
            payload = dict(metrics) if epoch is None else {**metrics, "epoch": epoch}
            self._wandb_run.log(payload, step=int(step))

    def _rewrite_csv(self) -> None:
        with atomic_open(self.metrics_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._columns, restval="")
            writer.writeheader()
            writer.writerows(self._rows)

    def _append_csv_row(self, row: Mapping[str, float | int]) -> None:
        text = io.StringIO()
        csv.DictWriter(text, fieldnames=self._columns, restval="").writerow(row)
        append_whole(self.metrics_path, text.getvalue())

    # -- media and summaries ---------------------------------------------------------------------
    def log_image(self, key: str, path: str | Path, caption: str | None = None) -> None:
        """A PNG already saved in the run dir, sent to W&B as ``wandb.Image``."""
        if self._wandb_run is not None:
            import wandb

            self._wandb_run.log({key: wandb.Image(str(path), caption=caption)})

    def log_table(self, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A small table (final metrics, a sweep) as ``wandb.Table``; CSV readers use results files."""
        if self._wandb_run is not None:
            import wandb

            self._wandb_run.log(
                {key: wandb.Table(columns=list(columns), data=[list(r) for r in rows])}
            )

    def log_summary(self, values: Mapping[str, Any]) -> None:
        """Final figures (test accuracy, wall time, ...) in the W&B run summary."""
        if self._wandb_run is not None:
            self._wandb_run.summary.update(dict(values))

    @property
    def wandb_dir(self) -> Path | None:
        """The W&B run's folder (``<output_dir>/wandb/<offline-run-...>``), if W&B is on."""
        return None if self._wandb_run is None else Path(self._wandb_run.dir).parent

    # -- lifetime ----------------------------------------------------------------------------------
    def close(self, exit_code: int = 0) -> None:
        if self._wandb_run is not None:
            self._wandb_run.finish(exit_code=exit_code)
            self._wandb_run = None

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(exit_code=0 if exc_type is None else 1)


def _csv_number(value: Any) -> float | int:
    """An integer (a count, a step; NumPy's too) stays one, as a torch run's CSV writes it."""
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def wandb_mode(offline: bool, output_dir: str | Path | None = None) -> str:
    """W&B's mode for a run configured ``offline`` (or online), as ``decide_offline`` allows.

    ``disabled`` if the user said so in ``WANDB_MODE``; offline if they said offline there, or
    the run is configured offline, or online cannot work (no API key, W&B unreachable: one
    warning line, naming ``wandb sync <output_dir>/wandb/offline-run-*``); else online.
    """
    if env_mode() == "disabled":
        return "disabled"
    hint = f"{output_dir or '<run dir>'}/wandb/offline-run-*"
    return "offline" if offline or decide_offline(True, sync_hint=hint) else "online"


def _start_wandb(
    output_dir: Path,
    config: dict,
    project: str,
    name: str | None,
    group: str | None,
    tags: list[str],
    offline: bool,
    job_type: str,
):
    import wandb  # imported here: CSV-only runs and tests need not pay for it

    settings = wandb.Settings(
        silent=True,
        # The system monitor samples CPU and memory in a separate process, which competes with
        # the BLAS threads that do the training on a machine with few cores.
        x_disable_stats=True,
    )
    return wandb.init(
        mode=wandb_mode(offline, output_dir),
        dir=str(output_dir),
        project=project,
        name=name,
        group=group,
        tags=tags,
        job_type=job_type,
        config=config,
        settings=settings,
        reinit="finish_previous",
    )


def run_logger_from_config(cfg, job_type: str = "train") -> RunLogger:
    """A RunLogger for a composed run config: ``cfg.run_logger`` plus ``paths.output_dir``.

    The resolved config goes to W&B, so a run is reproducible from its W&B page alone.
    """
    from omegaconf import OmegaConf

    settings = cfg.run_logger
    config = OmegaConf.to_container(cfg, resolve=True)
    config.pop("hydra", None)  # present only when composed with return_hydra_config (tests)
    return RunLogger(
        output_dir=cfg.paths.output_dir,
        config=config,
        project=settings.project,
        name=settings.name,
        group=settings.group,
        tags=list(settings.tags),
        offline=settings.offline,
        use_wandb=settings.use_wandb,
        job_type=job_type,
    )
