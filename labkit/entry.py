"""Run an entry point's task and turn user-fixable errors into one message and exit code 2.

An entry point imports only this, Hydra and OmegaConf at its top: ``--help`` and every error the
composed config alone reveals are answered before torch or Lightning load (13-14 s of CPU on
the 2-core machine where this was measured).
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig
from rich.console import Console

from labkit.config_checks import check_config, check_entry
from labkit.errors import LabkitError

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


def _explain(message: str) -> None:
    # soft_wrap: a message a script may grep for stays on one line, whatever the width.
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)


def run_or_explain(task: Callable[[], T]) -> T:
    """Call ``task``; on a user error print one message (no traceback) and exit with status 2."""
    try:
        return task()
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        _explain(user_error)
        sys.exit(2)


def _sweep_job_dir() -> Path | None:
    """The run dir of this job when the process runs a sweep (``-m``), else None."""
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    return Path(HydraConfig.get().runtime.output_dir)


def run_checked(cfg: DictConfig, entry: str, task: str, **kwargs: Any) -> dict[str, float]:
    """Check ``cfg`` for the entry point ``entry``, then import ``task`` and return ``task(cfg)``.

    ``task`` is a dotted path (``labkit.training.train``), imported only once ``cfg`` has passed
    the checks that need nothing but the config: that it is an experiment of this entry point
    (its ``entry:`` key) and that every value is in range (``labkit.config_checks.RULES``). So
    these errors come before the task's heavy imports. ``kwargs`` go to the task.

    A user error (a config value, a diverged loss) in a single run ends the process with one
    message and exit status 2. In a job of a sweep it prints the message, leaves
    ``{"status": "failed", "error": ...}`` in the job's ``summary.json`` (unless the task already
    wrote one) and returns ``{}``, so the sweep goes on to its next job.
    """

    def checked_task() -> dict[str, float]:
        check_entry(cfg, entry)
        check_config(cfg)
        module, _, name = task.rpartition(".")
        return getattr(importlib.import_module(module), name)(cfg, **kwargs)

    job_dir = _sweep_job_dir()
    if job_dir is None:
        return run_or_explain(checked_task)
    try:
        return checked_task()
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        _explain(f"{user_error} (this job of the sweep failed; the sweep goes on)")
        summary = job_dir / "summary.json"
        if not summary.exists():
            failure = {"status": "failed", "error": user_error}
            summary.write_text(json.dumps(failure, indent=2) + "\n")
        return {}


def skip_garbage_collection_at_exit() -> None:
    """Spare the interpreter's exit its walks over every object of every loaded module.

    Call it last in an entry point, once all its work is done (after every job of a sweep). With
    torch and Lightning loaded, the garbage collections during shutdown took most of the 4.9 s
    from a run's end of testing to its process's end, on a busy 2-core machine (1.0 s with this);
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
