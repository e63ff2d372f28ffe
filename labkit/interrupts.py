"""SIGTERM (a preempted job) and Ctrl-C stop a run at a safe point, recorded ``interrupted``.

Inside ``Trainer.fit``/``test`` Lightning owns SIGTERM: its handler (which calls the one installed
here too) stops the loop at the next batch boundary with ``SIGTERMException``, a ``SystemExit``
whose exit status is 0, so a preempted job looked successful. Ctrl-C raised ``KeyboardInterrupt``
wherever Python happened to be, possibly inside an optimizer step. Here both signals take
Lightning's batch-boundary route while a Trainer runs (a second Ctrl-C stops at once), and raise
:class:`RunInterrupted` at once outside it (building the data, writing plots). The entry point
turns :class:`RunInterrupted` into exit status 128 + the signal number, as a shell reports a
process killed by that signal; ``LastCheckpoint`` saves ``last.ckpt`` at the stop.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(BaseException):
    """The run stopped on a signal. A BaseException, like KeyboardInterrupt: nothing swallows it."""

    def __init__(self, signum: int, detail: str = "") -> None:
        self.signum = signum
        name = signal.Signals(signum).name
        super().__init__(f"Interrupted by {name}. {detail}".strip())

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _Received:
    signum: int | None = None


_received = _Received()


def received_signal() -> int | None:
    """The first SIGTERM/SIGINT this process received inside :func:`stop_on_signals`, if any."""
    return _received.signum


def _handler(signum: int, frame: FrameType | None) -> None:
    lightning_owns_sigterm = signal.getsignal(signal.SIGTERM) is not _handler
    if signum == signal.SIGINT and _received.signum is not None:
        raise KeyboardInterrupt  # pressed again: the user does not want to wait
    if _received.signum is None:
        _received.signum = signum
    if not lightning_owns_sigterm:
        raise RunInterrupted(signum)
    if signum == signal.SIGINT:
        # Lightning's SIGTERM handler sets its stop flag (and tells DDP's other processes);
        # it calls this handler back for SIGTERM, which then only returns.
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, frame)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Handle SIGTERM and SIGINT as this module describes, for the ``with`` block's duration."""
    _received.signum = None
    try:
        previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    except ValueError:  # not the main thread (a notebook's worker, some launchers): leave as is
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
