"""Run an entry point's task and turn user-fixable errors into one message and exit code 2."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TypeVar

from hydra.errors import InstantiationException
from rich.console import Console

from labkit.errors import LabkitError

T = TypeVar("T")


def _user_error(err: BaseException) -> LabkitError | None:
    """The LabkitError behind ``err`` (Hydra wraps errors raised in constructors), if any."""
    while err is not None:
        if isinstance(err, LabkitError):
            return err
        if not isinstance(err, InstantiationException):
            return None
        err = err.__cause__
    return None


def run_or_explain(task: Callable[[], T]) -> T:
    """Call ``task``; on a LabkitError print its message (no traceback) and exit with status 2."""
    try:
        return task()
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        Console(stderr=True).print(f"[bold red]error:[/] {user_error}", highlight=False)
        sys.exit(2)


def quiet_known_warnings() -> None:
    """Silence warnings that are expected in every labkit run and would only hide real ones."""
    # CSVLogger writes metrics.csv into Hydra's run dir, which already holds .hydra/.
    warnings.filterwarnings(
        "ignore", message=r"Experiment logs directory .* exists and is not empty"
    )
    # Raised inside Lightning itself on recent torch; nothing for a user to change.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
