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


def run_or_explain(task: Callable[[], T]) -> T:
    """Call ``task``; on a user error print one message (no traceback) and exit with status 2."""
    try:
        return task()
    except Exception as err:
        user_error = _user_error(err)
        if user_error is None:
            raise
        # soft_wrap: a message a script may grep for stays on one line, whatever the width.
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {user_error}", highlight=False
        )
        sys.exit(2)


def quiet_known_warnings() -> None:
    """Silence warnings that are expected in every labkit run and would only hide real ones."""
    # Raised inside Lightning itself on recent torch; nothing for a user to change.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
