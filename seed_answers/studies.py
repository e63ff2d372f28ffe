"""A study: one command of an entry point (a run or a sweep) whose files answer some questions.

The studies and their commands are config (``configs/answers.yaml``, scaled per profile by
``configs/profile/<name>.yaml``); this module turns one into a command line, decides whether a
finished record of it can be reused, and runs it.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ("train.py", "train_numpy.py", "probe.py", "baseline.py", "demo.py")


@dataclass(frozen=True)
class Study:
    """One study of a profile.

    Args:
        name: its folder under ``runs/`` (``mnist_mlp``, ``fashion_optimizers`` ...).
        entry: the entry point script (one of ``ENTRIES``).
        args: the experiment's own overrides (``experiment=fashion_mlp``).
        scale: the profile's overrides on top (fewer epochs, a subset of the data).
        sweep: whether it runs with ``-m`` (one job per sweep point, ``<num>/`` below its dir).
        report: run ``report.py`` on its dir afterwards (a sweep's table and overlaid curves).
        expected_s: the profile's estimate of its time on this machine, printed before it runs.
        report_args: report.py's options (``--metrics``, ``--group-by``, ``--pivot``).
        needs_gpu: the profile runs it only where a GPU is (the full profile's CIFAR studies).
    """

    name: str
    entry: str
    args: tuple[str, ...] = ()
    scale: tuple[str, ...] = ()
    sweep: bool = False
    report: bool = False
    expected_s: float = 60.0
    report_args: tuple[str, ...] = field(default=())
    needs_gpu: bool = False

    @property
    def overrides(self) -> list[str]:
        return [*self.args, *self.scale]

    def command(self, run_dir: str | Path) -> list[str]:
        """The command line (as a list) that runs this study into ``run_dir``."""
        where = "hydra.sweep.dir" if self.sweep else "hydra.run.dir"
        return [
            "python",
            self.entry,
            *(["-m"] if self.sweep else []),
            *self.overrides,
            f"{where}={run_dir}",
        ]

    def shown_command(self) -> str:
        """What a reader types to reproduce it (its run dir left to Hydra's default)."""
        return shlex.join(["python", self.entry, *(["-m"] if self.sweep else []), *self.overrides])


def studies_from_config(node: Mapping[str, Mapping]) -> dict[str, Study]:
    """``{name: Study}`` from the config's ``studies`` mapping (plain dicts)."""
    found = {}
    for name, spec in node.items():
        if spec is None:
            continue  # a profile may drop a study by setting it to null
        entry = spec["entry"]
        if entry not in ENTRIES:
            raise ValueError(f"studies.{name}.entry must be one of {ENTRIES}, got {entry!r}.")
        found[name] = Study(
            name=name,
            entry=entry,
            args=tuple(spec.get("args") or ()),
            scale=tuple(spec.get("scale") or ()),
            sweep=bool(spec.get("sweep", False)),
            report=bool(spec.get("report", False)),
            expected_s=float(spec.get("expected_s", 60.0)),
            report_args=tuple(spec.get("report_args") or ()),
            needs_gpu=bool(spec.get("needs_gpu", False)),
        )
    return found


def composed_config(study: Study) -> dict:
    """The config the study's command composes (unresolved), as Hydra's ``--cfg all`` prints it.

    Hydra's own run-time settings are dropped except the sweep's points
    (``hydra.sweeper.params``), so two commands that run the same jobs compare equal.
    """
    result = subprocess.run(
        [sys.executable, study.entry, *study.overrides, "--cfg", "all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"`{study.shown_command()}` does not compose:\n{result.stderr[-2000:]}")
    cfg = yaml.safe_load(result.stdout) or {}
    hydra_node = cfg.pop("hydra", {}) or {}
    params = (hydra_node.get("sweeper") or {}).get("params")
    return {"job": cfg, "sweeper_params": params}


def run_study(study: Study, run_dir: Path, log_file: Path) -> int:
    """Run the study into ``run_dir`` (its console output into ``log_file``); its exit status."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log:
        command = [sys.executable, *study.command(run_dir)[1:]]
        status = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
        if status == 0 and study.report:
            report = [sys.executable, "report.py", str(run_dir), *study.report_args]
            status = subprocess.run(
                report, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            ).returncode
    return status


def job_dirs(run_dir: Path, sweep: bool) -> Sequence[Path]:
    """The run dirs of a study: itself, or a sweep's numbered job dirs in order."""
    if not sweep:
        return [run_dir]
    return sorted(
        (p for p in run_dir.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
    )
