"""Test-only callback that records how a job's process ran: its pid, torch threads and fit interval."""

import json
import os
import time
from pathlib import Path

import pytorch_lightning as pl
import torch


class RecordJobProcess(pl.Callback):
    """Writes ``{"pid", "threads", "start", "end"}`` of the fit to ``out``.

    ``hold_s``: seconds the fit waits at its start, so that jobs run at once overlap for at least
    that long whatever their start-up skew on a loaded machine.
    """

    def __init__(self, out: str, hold_s: float = 0.0) -> None:
        self.out, self.hold_s = Path(out), hold_s
        self.record: dict = {}

    def on_fit_start(self, trainer, pl_module) -> None:
        self.record = {"pid": os.getpid(), "threads": torch.get_num_threads(), "start": time.time()}
        time.sleep(self.hold_s)

    def on_fit_end(self, trainer, pl_module) -> None:
        self.out.write_text(json.dumps({**self.record, "end": time.time()}))
