"""Run an entry point's task and turn user-fixable errors into one message and exit code 2.

An entry point imports only this, Hydra and OmegaConf at its top: ``--help`` and every error the
composed config alone reveals are answered before torch or Lightning load
(``benchmarks/startup.py`` times both).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig
from rich.console import Console

from labkit.config_checks import check_config, check_entry, check_sweep_has_multirun
from labkit.errors import LabkitError
from labkit.interrupts import RunInterrupted, stop_on_signals
from labkit.run_dir_lock import global_rank, run_dir_lock
from labkit.run_record import (
    SUMMARY_FILE,
    log_to_files,
    read_summary,
    record_end,
    write_config_record,
)

T = TypeVar("T")


def _user_error(err: BaseException) -> str | None:
    """The message for the user behind ``err``, or None for a bug (which keeps its traceback).

    User errors are LabkitErrors, and ValueError/TypeError raised while Hydra builds an object
    from the config: a constructor rejecting a value (an unknown activation name) or a key it does
    not take (a misspelt option under a ``_target_``).
    """
    built = None
    while err is not None:
        if isinstance(err, LabkitError):
            return str(err)
        if isinstance(err, InstantiationException):
            built = str(err).split(":", 1)[0]  # "Error in call to target 'nets.mlp.MLP'"
            err = err.__cause__
            continue
        if built and isinstance(err, ValueError | TypeError):
            reason = str(err).rstrip(".")
            return f"{built}: {reason}. Fix that value or key in the config or on the command line."
        return None
    return None


def explain(message: str) -> None:
    """Print a user error as the one line ``error: <message>`` on stderr."""
    # soft_wrap: a message a script may grep for stays on one line, whatever the width.
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)


def refuse(message: str) -> NoReturn:
    """End the process on a user error outside a run (a launcher's setting): one line, status 2."""
    explain(message)
    sys.exit(2)


def run_or_explain(task: Callable[[], T]) -> T:
    """Call ``task``; on a user error print one message (no traceback) and exit with status 2."""
    try:
        return task()
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        explain(user_error)
        sys.exit(2)


def _hydra_job() -> tuple[Path | None, bool]:
    """This job's run dir (None outside ``@hydra.main``) and whether it is a job of a sweep."""
    if not HydraConfig.initialized():
        return None, False
    hydra_cfg = HydraConfig.get()
    return Path(hydra_cfg.runtime.output_dir), hydra_cfg.mode == RunMode.MULTIRUN


def _summary_stamp(run_dir: Path) -> int | None:
    try:
        return (run_dir / SUMMARY_FILE).stat().st_mtime_ns
    except OSError:
        return None


def run_checked(cfg: DictConfig, entry: str, task: str, **kwargs: Any) -> dict[str, float]:
    """Check ``cfg`` for the entry point ``entry``, then import ``task`` and return ``task(cfg)``.

    ``task`` is a dotted path (``labkit.training.train``), imported only once ``cfg`` has passed
    the checks that need nothing but the config: that it is an experiment of this entry point
    (its ``entry:`` key) and that every value is in range (``labkit.config_checks.RULES``). So
    these errors come before the task's heavy imports. ``kwargs`` go to the task.

    Around the task, the run dir is locked (``labkit.run_dir_lock``), its config recorded
    (``labkit.run_record``) and SIGTERM/SIGINT handled (``labkit.interrupts``). ``resume=true``
    on a finished run changes nothing and returns its summary's figures.

    A user error (a config value, a diverged loss) ends the run with one message; unless the
    task recorded it already, it goes into summary.json (``failed``) and the run's log file,
    except for a resume that was refused, which leaves the run's record as it was. A single run
    then exits with status 2; a job of a sweep returns ``{}``, so the sweep goes on. A signal
    ends the process with status 128 + its number, the run recorded ``interrupted``.
    """
    run_dir, sweep_job = _hydra_job()
    if run_dir is not None and not sweep_job:
        hydra_cfg = HydraConfig.get()
        run_or_explain(
            lambda: check_sweep_has_multirun(
                hydra_cfg.sweeper.get("params"), list(hydra_cfg.overrides.task), entry
            )
        )
    if run_dir is None or global_rank() != 0:
        # Composed outside Hydra's entry (a notebook): no run dir to manage. Or one of DDP's
        # other processes, which joins the run that rank zero locked and records.
        return run_or_explain(lambda: _checked_task(cfg, entry, task, kwargs))
    stamp = _summary_stamp(run_dir)
    resuming = bool(cfg.get("resume", False)) and cfg.get("train", True)
    try:
        with stop_on_signals(), run_dir_lock(run_dir):
            if resuming and (finished := _finished_metrics(run_dir)) is not None:
                return finished
            write_config_record(run_dir, cfg, HydraConfig.get(), resuming)
            try:
                return _checked_task(cfg, entry, task, kwargs)
            except RunInterrupted as err:
                if _summary_stamp(run_dir) == stamp:
                    record_end(run_dir, "interrupted", str(err))
                raise
            except Exception as err:
                user_error = _user_error(err)
                if user_error is not None and _summary_stamp(run_dir) == stamp:
                    if resuming:  # refused before it ran: the run's record stays as it was
                        log_to_files(f"resume refused: {user_error}")
                    else:
                        record_end(run_dir, "failed", user_error)
                raise
    except RunInterrupted as err:
        explain(str(err))
        sys.exit(err.exit_code)
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        if not sweep_job:
            explain(user_error)
            sys.exit(2)
        explain(f"{user_error} (this job of the sweep failed; the sweep goes on)")
        return {}


def _checked_task(cfg: DictConfig, entry: str, task: str, kwargs: dict) -> dict[str, float]:
    check_entry(cfg, entry)
    check_config(cfg)
    module, _, name = task.rpartition(".")
    return getattr(importlib.import_module(module), name)(cfg, **kwargs)


def _finished_metrics(run_dir: Path) -> dict[str, float] | None:
    """A finished run's figures from its summary.json, announced; None if it is not finished."""
    summary = read_summary(run_dir)
    if not summary or summary.get("status") != "finished" or summary.get("job") == "eval":
        return None
    metrics = {
        k: float(v)
        for k, v in summary.items()
        if "/" in k and isinstance(v, int | float) and not isinstance(v, bool)
    }
    shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k.startswith("test/"))
    Console(stderr=True, soft_wrap=True).print(
        f"[bold]{run_dir} is a finished run[/] ({shown or 'see its summary.json'}): resume=true "
        "has nothing to continue, and nothing was changed. To train it longer, start a new run "
        f"from its weights: python train.py <overrides> ckpt_path={run_dir}/checkpoints/best.ckpt",
        highlight=False,
    )
    return metrics


def skip_garbage_collection_at_exit() -> None:
    """Spare the interpreter's exit its walks over every object of every loaded module.

    Call it last in an entry point, once all its work is done (after every job of a sweep). With
    torch and Lightning loaded, the garbage collections during shutdown take most of the time
    from a run's end of testing to its process's end (``benchmarks/startup.py``);
    ``gc.freeze()`` moves every object alive now to the permanent generation, which they never
    walk. Everything else of a normal exit still happens (threads joined, atexit handlers such as
    W&B's teardown and logging's flush, the std streams flushed); only reference cycles among
    these objects are no longer freed, and the process's end releases their memory anyway.
    """
    gc.freeze()


def quiet_known_warnings() -> None:
    """Silence warnings that are expected in every labkit run and would only hide real ones."""
    # CSVLogger writes metrics.csv into Hydra's run dir, which already holds .hydra/.
    warnings.filterwarnings(
        "ignore", message=r"Experiment logs directory .* exists and is not empty"
    )
    # Raised inside Lightning itself on recent torch; nothing for a user to change.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    # Lightning's adverts for its cloud services (litlogger, litmodels), and its line saying the
    # machine has no TPU, logged on every run.
    logging.getLogger("pytorch_lightning.utilities.rank_zero").addFilter(_not_lightning_noise)


def _not_lightning_noise(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    if message.startswith("TPU available: False"):
        return False
    return not any(f"pypi.org/project/{name}" in message for name in ("litlogger", "litmodels"))
