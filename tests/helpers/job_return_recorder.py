"""A Hydra callback that saves what each job of a sweep handed back to the sweeper.

Hydra keeps a job's return value in memory only (the sweeper reads it); tests add this with
``+hydra.callbacks.job_return._target_=tests.helpers.job_return_recorder.JobReturnRecorder``
and read ``<job dir>/job_return.json``: ``{"status": "COMPLETED", "value": 0.93}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from labkit.atomic_files import write_text

FILE_NAME = "job_return.json"


class JobReturnRecorder(Callback):
    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        completed = job_return.status == JobStatus.COMPLETED
        record = {
            "status": job_return.status.name,
            "value": job_return.return_value if completed else None,
        }
        write_text(Path(config.hydra.runtime.output_dir) / FILE_NAME, json.dumps(record) + "\n")


def read_job_return(job_dir: Path) -> dict[str, Any]:
    return json.loads((job_dir / FILE_NAME).read_text())
