"""What a user waits for before and after the work: ``--help``, a config error, a run's fixed costs.

Each command runs as typed, in a fresh interpreter; every figure is the median of ``--repeats``
runs. The default command (``python train.py``: mnist_mlp, 10 epochs) is split by two clocks:
``summary.json``'s ``wall_time_s`` (from fit start to the end of testing, measured in the run) and
the time that file was written (the end of testing). So:

- start-up: process start to fit start (imports, config, data, model, trainer, W&B's init);
- training: fit start to the end of testing (``wall_time_s``);
- the rest: after testing (the results table, W&B's finish, the interpreter's exit).

Each quick command's CPU seconds (user + system of the child) are printed beside its wall time:
on a shared machine they move far less with the load. The default command also runs with
``logger=csv`` in every repeat, side by side, so W&B's whole cost to a run is the difference.

    python benchmarks/startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = str(ROOT / "train.py")
# (figure name, arguments, expected exit status, text the output must hold)
QUICK_COMMANDS = [
    ("help_s", ["--help"], 0, "== Experiments and other config groups"),
    ("unknown_experiment_s", ["experiment=nope"], 1, "Could not find 'experiment/nope'"),
    ("out_of_range_value_s", ["model.optimizer.lr=-1"], 2, "model.optimizer.lr must be"),
]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """``(wall s, cpu s, result)`` of ``python train.py <args>``."""
    env = {**os.environ, "WANDB_MODE": "offline"}
    cpu, start = _children_cpu_s(), time.perf_counter()
    result = subprocess.run(
        [sys.executable, TRAIN, *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    return time.perf_counter() - start, _children_cpu_s() - cpu, result


def quick_command(args: list[str], code: int, expected: str, cwd: Path) -> tuple[float, float]:
    wall, cpu, result = timed(args, cwd)
    if result.returncode != code or expected not in result.stdout + result.stderr:
        sys.exit(f"train.py {' '.join(args)}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return wall, cpu


def default_run(run_dir: Path, *overrides: str) -> tuple[float, float, float]:
    """``(start-up, training, rest)`` seconds of ``python train.py`` (see the module docstring)."""
    start = time.time()
    # From the checkout, as a user runs it: the data cache is its ./data (or LABKIT_DATA).
    _, _, result = timed([f"hydra.run.dir={run_dir}", *overrides], ROOT)
    end = time.time()
    if result.returncode != 0:
        sys.exit(f"train.py failed:\n{result.stderr[-3000:]}")
    summary = run_dir / "summary.json"
    tested = summary.stat().st_mtime
    training = json.loads(summary.read_text())["wall_time_s"]
    return tested - training - start, training, end - tested


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            # Interleaved, so a slow spell of a shared machine touches every figure alike. The
            # quick commands run in a scratch dir: a config error still leaves Hydra's run dir.
            for name, cmd, code, expected in QUICK_COMMANDS:
                wall, cpu = quick_command(cmd, code, expected, Path(tmp))
                figures.setdefault(name, []).append(wall)
                figures.setdefault(f"{name}_cpu", []).append(cpu)
            parts = default_run(Path(tmp) / f"run{i}")
            for name, seconds in zip(("startup_s", "training_s", "rest_s"), parts, strict=True):
                figures.setdefault(f"default_run_{name}", []).append(seconds)
            csv_only = default_run(Path(tmp) / f"csv{i}", "logger=csv")
            figures.setdefault("wandb_cost_s", []).append(sum(parts) - sum(csv_only))
            print(f"repeat {i}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in figures.items()))
    median = {name: statistics.median(values) for name, values in figures.items()}
    for name, _, _, _ in QUICK_COMMANDS:
        print(
            f"{name}: {median[name]:.2f} s, cpu {median[name + '_cpu']:.2f} s "
            "(target <= 1.5 s, no torch imported)"
        )
    total = sum(median[f"default_run_{n}"] for n in ("startup_s", "training_s", "rest_s"))
    print(
        f"default_run_s: {total:.1f} s "
        "(python train.py: mnist_mlp, 10 epochs; the sum of the three medians below)"
    )
    print(
        f"default_run_startup_s: {median['default_run_startup_s']:.2f} s "
        "(process start to fit start: imports, config, data, model, trainer, W&B init)"
    )
    print(
        f"default_run_training_s: {median['default_run_training_s']:.2f} s "
        "(fit start to the end of testing: summary.json's wall_time_s)"
    )
    print(
        f"default_run_rest_s: {median['default_run_rest_s']:.2f} s "
        "(after testing: results table, W&B finish, interpreter exit)"
    )
    print(
        f"wandb_cost_s: {median['wandb_cost_s']:.2f} s "
        "(the default run minus the same run with logger=csv, side by side)"
    )


if __name__ == "__main__":
    main()
