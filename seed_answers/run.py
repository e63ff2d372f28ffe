"""``python answers.py``: run (or reuse) every study of a profile, then build and render the answers.

Studies run one after another as their own processes (``python train.py ...``), each into
``<work_dir>/<study>/`` with its console output in ``<work_dir>/logs/<study>.log``; a finished
one's record goes to ``<out_dir>/runs/<study>/``. A study is reused, not run, when its record is
finished, comes from the same profile and ran the same composed config (``rerun=true`` runs it
anyway; ``only=[a,b]`` runs just those). The answers are then built from the records alone, so
``answers.json`` can always be rebuilt from what is committed (``run_studies=false``: rebuild
it and the pages from the records, running nothing).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from labkit.atomic_files import write_bytes, write_text
from labkit.errors import ConfigError
from seed_answers.catalogue import QUESTIONS
from seed_answers.question import Facts, MissingStudy
from seed_answers.records import keep_record, read_study
from seed_answers.render import render_pages
from seed_answers.studies import (
    ROOT,
    Study,
    composed_config,
    job_dirs,
    run_study,
    studies_from_config,
)

ANSWERS_FILE = "answers.json"
console = Console(stderr=True, soft_wrap=True, highlight=False)


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


def _commit(out_dir: Path) -> str:
    """HEAD, with ``+changes`` when a tracked file outside ``out_dir`` differs from it.

    ``out_dir`` is what answers.py itself writes (records, pages), so it does not make the code
    that ran any less the commit's.
    """

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    paths = ["."]
    if out_dir.resolve().is_relative_to(ROOT):
        paths.append(f":(exclude){out_dir.resolve().relative_to(ROOT).as_posix()}")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    return head + ("+changes" if dirty else "")


def _machine() -> str:
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    except ImportError:
        gpu = "no GPU"
    return f"{platform.machine()}, {os.cpu_count()} CPUs, {gpu}, Python {platform.python_version()}"


def _has_gpu() -> bool:
    return "no GPU" not in _machine()


def run_answers(cfg: DictConfig) -> dict[str, float]:
    out_dir, work_dir = _path(cfg.out_dir), _path(cfg.work_dir)
    profile = str(cfg.profile.name)
    studies = studies_from_config(OmegaConf.to_container(cfg.studies, resolve=True))
    unknown = sorted(set(cfg.only or ()) - set(studies))
    if unknown:
        raise ConfigError(f"only={unknown} names no study; the studies are {sorted(studies)}.")
    if cfg.render_only:
        answers_path = out_dir / ANSWERS_FILE
        if not answers_path.is_file():
            raise ConfigError(f"render_only=true needs {answers_path}; run without it first.")
        answers = json.loads(answers_path.read_text())
    else:
        if cfg.run_studies:
            _run_studies(studies, cfg, out_dir, work_dir, profile)
        answers = build_answers(out_dir, profile, studies)
        write_text(
            out_dir / ANSWERS_FILE,
            json.dumps(answers, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        )
    pages = render_pages(answers, out_dir)
    console.print(f"[bold]answers:[/] {len(answers['questions'])} questions -> {pages[-1]}")
    statuses = [q["status"] for q in answers["questions"].values()]
    return {s: float(statuses.count(s)) for s in set(statuses)}


def _run_studies(
    studies: dict[str, Study], cfg: DictConfig, out_dir: Path, work_dir: Path, profile: str
) -> None:
    chosen = [s for s in studies.values() if not cfg.only or s.name in cfg.only]
    plan, failed = [], []
    gpu = _has_gpu()
    for study in chosen:
        if study.needs_gpu and not gpu:
            console.print(f"{study.name}: skipped, this profile runs it on a GPU only (none here)")
            continue
        try:
            composed = composed_config(study)
        except RuntimeError as err:  # a command that does not compose: say so, go on
            console.print(f"[red]{study.name} cannot run:[/] {err}")
            failed.append(study.name)
            continue
        prior = read_study(out_dir / "runs" / study.name)
        reusable = (
            prior is not None
            and prior.get("status") == "finished"
            and prior.get("profile") == profile
            and prior.get("composed") == composed
        )
        plan.append((study, composed, reusable and not cfg.rerun and not cfg.only))
    to_run = [(s, c) for s, c, reuse in plan if not reuse]
    reused = [s.name for s, _, reuse in plan if reuse]
    if reused:
        console.print(f"reusing {len(reused)} finished studies: {', '.join(reused)}")
    total = sum(s.expected_s for s, _ in to_run)
    console.print(f"running {len(to_run)} studies, expected {total / 60:.1f} min in all")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}/{task.fields[count]} studies"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("studies", total=max(total, 1.0), done=0, count=len(to_run))
        for done, (study, composed) in enumerate(to_run):
            progress.update(bar, description=f"{study.name} (expected {study.expected_s:.0f} s)")
            console.print(
                f"- {study.name}: expected {study.expected_s:.0f} s: {study.shown_command()}"
            )
            run_dir = work_dir / study.name
            shutil.rmtree(run_dir, ignore_errors=True)
            start = time.perf_counter()
            status = run_study(study, run_dir, work_dir / "logs" / f"{study.name}.log")
            seconds = time.perf_counter() - start
            if status == 0:
                keep_record(
                    run_dir,
                    list(job_dirs(run_dir, study.sweep)),
                    out_dir / "runs" / study.name,
                    {
                        "name": study.name,
                        "profile": profile,
                        "status": "finished",
                        "command": study.shown_command(),
                        "seconds": round(seconds, 1),
                        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
                        "commit": _commit(out_dir),
                        # Other work on the machine stretches a study's time: a reader of the
                        # index sees the load averages (1, 5, 15 min) as the study ended.
                        "load_at_end": [round(x, 2) for x in os.getloadavg()],
                        "composed": composed,
                    },
                )
                console.print(f"  done in {seconds:.0f} s")
            else:
                failed.append(study.name)
                console.print(
                    f"  [red]failed[/] (exit {status}) after {seconds:.0f} s: see "
                    f"{work_dir / 'logs' / f'{study.name}.log'}"
                )
            progress.update(bar, advance=study.expected_s, done=done + 1)
    if failed:
        console.print(f"[red]{len(failed)} studies failed:[/] {', '.join(failed)}")


def build_answers(out_dir: Path, profile: str, studies: dict[str, Study]) -> dict[str, Any]:
    """Every question's answer, from the records under ``out_dir/runs`` alone."""
    facts = Facts(out_dir, profile)
    figures_dir = out_dir / "figures"
    shutil.rmtree(figures_dir, ignore_errors=True)
    questions: dict[str, Any] = {}
    for q in QUESTIONS:
        commands = [studies[name].shown_command() for name in q.studies if name in studies]
        runs = [f"runs/{name}" for name in q.studies]
        try:
            answer = q.answer(facts)
        except MissingStudy as missing:
            gpu_missing = q.needs_gpu_at_full_scale and profile == "full" and not _has_gpu()
            questions[q.id] = {
                "question": q.question,
                "answer": f"Not answered yet: study `{missing}` has no finished record in this "
                "profile." + (" It needs a GPU at full scale." if gpu_missing else ""),
                "values": {},
                "figures": [],
                "command": commands,
                "runs": [],
                "status": "needs-gpu" if gpu_missing else "not-run",
            }
            continue
        shown = []
        for figure in answer.figures:
            name = "__".join(figure.relative_to(out_dir / "runs").parts)
            write_bytes(figures_dir / name, figure.read_bytes())
            shown.append(f"figures/{name}")
        questions[q.id] = {
            "question": q.question,
            "answer": answer.text,
            "values": _json_safe(answer.values),
            "figures": shown,
            "command": commands,
            "runs": runs,
            "status": answer.status,
        }
    records = [read_study(out_dir / "runs" / name) for name in studies]
    return {
        "profile": profile,
        "commit": _commit(out_dir),
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": _machine(),
        "total_time_s": round(sum(r["seconds"] for r in records if r), 1),
        "studies_run": sum(1 for r in records if r),
        "studies": [
            {k: r.get(k) for k in ("name", "seconds", "finished", "commit", "load_at_end")}
            for r in records
            if r
        ],
        "questions": questions,
    }


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: answers.json stays strict JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
