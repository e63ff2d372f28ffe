"""answers.py end to end on the quick profile: every seed question answered from real runs.

The quick profile runs every study at tiny settings (about 10 minutes here, once per session:
the fixture is module-scoped), then the checks read what a user reads: answers.json, the seed
pages, the figures they cite and the records they were built from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_IDS = (
    [f"000-{p}{c}" for p in "123" for c in "abcd"]
    + ["001-1.1", "001-1.2", "001-1.3", "001-2.1", "001-3.1", "001-3.2", "001-4.1"]
    + [f"002-Q1.{i}" for i in range(1, 7)]
    + [f"002-Q2.{i}" for i in range(1, 5)]
    + [f"002-Q3.{i}" for i in range(1, 9)]
    + ["003-P1A", "003-P1B", "003-P1C", "003-P2A", "003-P2B"]
    + [f"003-P3{c}" for c in "ABCDEFG"]
    + ["003-P5A", "003-P5B", "003-P5C"]
    + [f"004-1.{i}" for i in range(1, 6)]
    + [f"004-2.{i}" for i in range(1, 7)]
    + [f"004-3.{i}" for i in range(1, 5)]
)
ENV = {**os.environ, "WANDB_MODE": "offline", "PYTHONHASHSEED": "0"}


def answers(*overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "answers.py", *overrides],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> Path:
    if not os.environ.get("LABKIT_DATA"):
        pytest.skip("the quick profile reads the real datasets (LABKIT_DATA)")
    out = tmp_path_factory.mktemp("answers")
    result = answers("profile=quick", f"out_dir={out}", f"work_dir={out / 'work'}")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "failed" not in result.stderr, result.stderr[-4000:]
    return out


def test_every_question_has_an_answer_from_runs(quick):
    data = json.loads((quick / "answers.json").read_text())  # strict JSON: no NaN
    assert set(data) >= {"profile", "commit", "created", "machine", "questions"}
    assert data["profile"] == "quick"
    assert list(data["questions"]) == EXPECTED_IDS
    for qid, entry in data["questions"].items():
        assert set(entry) == {
            "question",
            "answer",
            "values",
            "figures",
            "command",
            "runs",
            "status",
        }
        assert entry["status"] in ("answered", "theory"), (qid, entry["answer"])
        assert len(entry["answer"]) > 40, qid
        for run in entry["runs"]:
            assert (quick / run / "study.json").is_file(), (qid, run)
        if entry["status"] == "answered":
            assert entry["command"], qid
            assert all(c.startswith("python ") for c in entry["command"])


def test_cited_figures_are_copied_and_small(quick):
    data = json.loads((quick / "answers.json").read_text())
    cited = [fig for entry in data["questions"].values() for fig in entry["figures"]]
    assert len(cited) >= 30
    for fig in cited:
        path = quick / fig
        assert path.is_file() and path.suffix == ".png", fig
        assert path.stat().st_size <= 300_000, (fig, path.stat().st_size)


def test_pages_name_the_profile_and_every_question(quick):
    index = (quick / "index.md").read_text()
    assert "quick profile: not results" in index
    data = json.loads((quick / "answers.json").read_text())
    assert len(data["studies"]) == data["studies_run"] > 10
    for study in data["studies"]:  # each study's time and the machine's load, in one row
        assert len(study["load_at_end"]) == 3, study
        row = f"| {study['name']} | {study['seconds']:.0f} s | {study['finished']} |"
        assert row in index, row
    for seed in ("000", "001", "002", "003", "004"):
        page = (quick / f"seed_{seed}.md").read_text()
        assert "quick profile: not results" in page
        for qid in (q for q in EXPECTED_IDS if q.startswith(seed)):
            assert f"## {qid}\n" in page
        for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page):
            assert (quick / link).is_file(), link


def test_records_keep_no_checkpoints_and_reproduce_the_answers(quick):
    assert not list((quick / "runs").rglob("*.ckpt"))
    assert not list((quick / "runs").rglob("wandb"))
    before = (quick / "seed_000.md").read_text()
    result = answers("profile=quick", f"out_dir={quick}", f"work_dir={quick / 'work'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "running 0 studies" in result.stderr  # every study reused: same composed config
    strip = lambda text: re.sub(r"commit `[^`]*` · [^·]* ·", "", text)  # noqa: E731
    assert strip((quick / "seed_000.md").read_text()) == strip(before)


def test_render_only_rebuilds_the_pages_exactly(quick):
    pages = {p.name: p.read_text() for p in quick.glob("*.md")}
    for p in quick.glob("*.md"):
        p.unlink()
    result = answers("render_only=true", f"out_dir={quick}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p.name: p.read_text() for p in quick.glob("*.md")} == pages


def test_committed_pages_are_what_their_answers_json_renders(tmp_path):
    committed = ROOT / "docs" / "answers"
    if not (committed / "answers.json").is_file():
        pytest.skip("docs/answers/ has no answers.json yet")
    from seed_answers.render import render_pages

    render_pages(json.loads((committed / "answers.json").read_text()), tmp_path)
    for page in tmp_path.glob("*.md"):
        assert page.read_text() == (committed / page.name).read_text(), page.name


def test_the_full_profile_without_a_gpu_says_which_answers_need_one(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the full profile's CIFAR studies would run")
    result = answers("profile=full", "run_studies=false", f"out_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    questions = json.loads((tmp_path / "answers.json").read_text())["questions"]
    gpu = [qid for qid, entry in questions.items() if entry["status"] == "needs-gpu"]
    assert gpu == [f"002-Q3.{i}" for i in range(3, 9)]
    assert "It needs a GPU at full scale." in questions["002-Q3.7"]["answer"]
    assert "6 needs a GPU" in (tmp_path / "index.md").read_text()


def test_help_is_fast_and_names_the_profiles():
    result = answers("--help")
    assert result.returncode == 0
    assert "profile: cpu, full, quick" in result.stdout


def test_an_unknown_study_is_refused_in_one_line(tmp_path):
    result = answers(f"out_dir={tmp_path}", "only=[no_such_study]")
    assert result.returncode == 2
    assert "only=['no_such_study'] names no study" in result.stderr


def test_run_studies_false_rebuilds_from_the_records_alone(quick):
    before = json.loads((quick / "answers.json").read_text())
    result = answers("run_studies=false", f"out_dir={quick}", f"work_dir={quick / 'none'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "running" not in result.stderr
    # Only answers.py's own run dir (its log and config record), no study's.
    assert [p.name for p in (quick / "none").iterdir()] == ["_answers"]
    after = json.loads((quick / "answers.json").read_text())
    assert {k: v["values"] for k, v in after["questions"].items()} == {
        k: v["values"] for k, v in before["questions"].items()
    }
