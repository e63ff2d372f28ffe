"""A finished study's record under ``<out_dir>/runs/<study>/``: what the answers are read from.

The run dirs themselves (checkpoints, W&B files) stay outside the repository; the record keeps
what a reader and the answers need, for every job: the resolved ``config.yaml`` and its
``overrides.yaml``, ``summary.json``, ``metrics.csv``, the run's own Markdown (results.md,
report.md), small JSON files and its PNG figures; for a sweep also report.py's ``report/``. And
``study.json``: the command, the composed config it ran (for reuse) and how long it took.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labkit.atomic_files import write_bytes, write_text

STUDY_FILE = "study.json"
MAX_FIGURE_BYTES = 300_000
_KEPT_TOP = ("summary.json", "metrics.csv", "results.md", "report.md")


def _copy(src: Path, dst: Path) -> None:
    write_bytes(dst, src.read_bytes())


def _copy_png(src: Path, dst: Path) -> None:
    """Copy a figure, re-encoded to at most ``MAX_FIGURE_BYTES`` if it is larger.

    A 256-colour palette keeps a plot's lines and text sharp (plots use few colours) and
    usually shrinks it several times; a figure still too large is scaled down step by step.
    """
    data = src.read_bytes()
    if len(data) > MAX_FIGURE_BYTES:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB")
        scale = 1.0
        while len(data) > MAX_FIGURE_BYTES and scale > 0.2:
            size = (round(image.width * scale), round(image.height * scale))
            small = image.resize(size, Image.LANCZOS) if scale < 1 else image
            buffer = io.BytesIO()
            small.quantize(colors=256).save(buffer, format="PNG", optimize=True)
            data, scale = buffer.getvalue(), scale * 0.8
    write_bytes(dst, data)


def _copy_job(job_dir: Path, dst: Path) -> None:
    """One run dir's record into ``dst`` (files renamed into place, each whole)."""
    for name in ("config.yaml", "overrides.yaml"):
        if (job_dir / ".hydra" / name).is_file():
            _copy(job_dir / ".hydra" / name, dst / name)
    for path in sorted(job_dir.glob("*")):
        small_json = path.suffix == ".json" and path.stat().st_size < 100_000
        if path.is_file() and (path.name in _KEPT_TOP or small_json):
            _copy(path, dst / path.name)
    for folder in ("plots", "report"):
        for png in sorted((job_dir / folder).glob("*.png")):
            _copy_png(png, dst / folder / png.name)
        for small in sorted((job_dir / folder).glob("*.md")) + sorted(
            (job_dir / folder).glob("*.json")
        ):
            _copy(small, dst / folder / small.name)


def keep_record(run_dir: Path, job_dirs: list[Path], record_dir: Path, study: dict) -> None:
    """Replace ``record_dir`` by the record of a study that just finished in ``run_dir``."""
    staging = record_dir.with_name(record_dir.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    sweep = job_dirs != [run_dir]
    for job in job_dirs:
        _copy_job(job, staging / job.name if sweep else staging)
    if sweep:
        _copy_job(run_dir, staging)  # report.py's report/ of the whole sweep
    write_text(staging / STUDY_FILE, json.dumps(study, indent=2) + "\n")
    # Swap whole: a crash leaves the old record or the new one, never a mix.
    old = record_dir.with_name(record_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if record_dir.exists():
        record_dir.rename(old)
    staging.rename(record_dir)
    shutil.rmtree(old, ignore_errors=True)


def read_study(record_dir: Path) -> dict | None:
    """The record's study.json, or None when the study has no finished record."""
    try:
        return json.loads((record_dir / STUDY_FILE).read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Job:
    """One run of a record: its folder, relative name and the files read from it."""

    folder: Path
    name: str  # "" for a single run, "<num>" for a sweep's job

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.folder / "summary.json").read_text())

    @property
    def overrides(self) -> list[str]:
        path = self.folder / "overrides.yaml"
        return list(yaml.safe_load(path.read_text()) or []) if path.is_file() else []

    @property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((self.folder / "config.yaml").read_text()) or {}

    def metrics(self) -> list[dict[str, float]]:
        """metrics.csv's rows, blanks dropped, numbers as floats."""
        with open(self.folder / "metrics.csv", newline="") as f:
            return [
                {k: float(v) for k, v in row.items() if v not in ("", None)}
                for row in csv.DictReader(f)
            ]

    def series(self, key: str) -> list[float]:
        """Every logged value of ``key``, in order."""
        return [row[key] for row in self.metrics() if key in row]

    def text(self, name: str) -> str:
        return (self.folder / name).read_text()

    def override(self, key: str) -> str | None:
        """The value this job's command gave ``key`` (a sweep's point), or None."""
        for item in self.overrides:
            name, _, value = item.lstrip("+~").partition("=")
            if name == key:
                return value
        return None


class Record:
    """A study's record folder: its jobs and its study.json."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.folder, self.root = folder, root
        self.study = read_study(folder) or {}

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def jobs(self) -> list[Job]:
        numbered = sorted(
            (p for p in self.folder.iterdir() if p.is_dir() and p.name.isdigit()),
            key=lambda p: int(p.name),
        )
        return [Job(p, p.name) for p in numbered] or [Job(self.folder, "")]

    def job(self, **overrides: str) -> Job:
        """The sweep job whose command set every ``key=value`` given (keys with ``.`` as ``__``)."""
        wanted = {k.replace("__", "."): str(v) for k, v in overrides.items()}
        for job in self.jobs:
            if all(job.override(k) == v for k, v in wanted.items()):
                return job
        raise KeyError(f"{self.name} has no job with {wanted}")

    def path(self, relative: str) -> Path:
        return self.folder / relative

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def figures(self, pattern: str = "**/*.png") -> Iterator[Path]:
        return iter(sorted(self.folder.glob(pattern)))
