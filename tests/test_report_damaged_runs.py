"""report.py on run dirs that are damaged or odd: corrupt files, hostile error text, interrupted
runs, relative checkpoints, and crashes while the report is written. The run dirs are written by
hand (a few lines each), so these tests train nothing."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from matplotlib.figure import Figure

from figures.markdown_table import code, escape, markdown_table
from labkit.atomic_files import WriteError
from run_report.build import ReportOptions, build_report
from tests.helpers.train_numpy_subprocess import run_script

METRICS = "step,epoch,train/loss,val/acc\n0,0,1.0,\n1,0,0.9,0.5\n2,1,0.8,\n3,1,0.7,{acc}\n"
CORRUPT = {"unclosed": b"key: [unclosed", "binary": b"\x00\xff\xfe\x80 garbage \x01\x02"}


def _job(
    where: Path,
    lr: str,
    summary: dict | None = None,
    acc: float = 0.6,
    config: str = "task_name: demo\noptimized_metric: val/acc\n",
) -> Path:
    """A run dir as a training run leaves it: .hydra/, metrics.csv and (unless None) summary.json."""
    hydra = where / ".hydra"
    hydra.mkdir(parents=True)
    (hydra / "config.yaml").write_text(config)
    (hydra / "overrides.yaml").write_text(f"- optimizer=sgd\n- model.optimizer.lr={lr}\n")
    (hydra / "hydra.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    (where / "metrics.csv").write_text(METRICS.format(acc=acc))
    if summary is not None:
        (where / "summary.json").write_text(json.dumps(summary))
    return where


def _finished(acc: float) -> dict:
    return {"status": "finished", "test/acc": acc, "params_total": 1234, "wall_time_s": 2.5}


def _sweep(root: Path, summaries: list[dict | None]) -> Path:
    """A sweep dir with a job per summary (job i has lr 0.0<i+1>)."""
    for i, summary in enumerate(summaries):
        _job(root / str(i), f"0.0{i + 1}", summary, acc=0.5 + i / 10)
    return root


def _rendered(text: str) -> str:
    """report.md as GitHub-flavoured Markdown renders it (tables, strikethrough)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def _rows(text: str) -> dict[str, list[str]]:
    """The job table's rows by job (of the section "Jobs", or the single run's), as rendered
    cells by column name."""
    html = _rendered(text).split("<h2>Jobs</h2>", 1)[-1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr>\n(.*?)</tr>", html, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S) for r in rows]
    header = cells[0]
    return {re.sub(r"</?strong>", "", c[0]): dict(zip(header, c, strict=True)) for c in cells[1:]}


def _section(text: str, heading: str) -> list[str]:
    """The lines of report.md under ``## heading``, up to the next heading."""
    lines = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    return [line for line in lines if line]


# --- 1. A corrupt file of one job does not stop the report ----------------------------------


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
@pytest.mark.parametrize(
    "file", [".hydra/config.yaml", ".hydra/overrides.yaml", ".hydra/hydra.yaml"]
)
def test_a_job_with_corrupt_yaml_is_listed_unreadable_and_the_others_are_reported(
    tmp_path, capsys, file, content
):
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), _finished(0.8), _finished(0.9)])
    (sweep / "1" / file).write_bytes(content)
    text = build_report(sweep, ReportOptions()).read_text()

    rows = _rows(text)
    assert [rows[j]["status"] for j in "012"] == ["finished", "unreadable", "finished (best)"]
    assert [rows[j]["test/acc"] for j in "02"] == ["0.7", "0.9"]
    assert rows["1"]["test/acc"] == ""  # nothing of a damaged job is shown as a result
    assert "3 jobs: 2 finished, 1 unreadable." in text
    # The jobs still differ in lr only: a job whose overrides are unreadable adds no "difference".
    assert "They differ in: model.optimizer.lr." in text
    assert "Best job by val/acc (max): `2`" in text
    (line,) = _section(text, "Unreadable jobs")
    assert line.startswith(f"- `{sweep / '1'}`: {file} is not ")
    kind = "YAML" if content == CORRUPT["unclosed"] else "UTF-8 text"
    assert kind in line
    (warning,) = capsys.readouterr().err.splitlines()
    assert warning.startswith(f"warning: {sweep / '1'}: {file} is not ")
    assert "Jobs that did not finish" not in text  # unreadable jobs have a section of their own


@pytest.mark.parametrize(
    ("file", "content", "reason"),
    [
        ("summary.json", b'{"status": "finished", "test/a', "is not valid JSON"),
        ("summary.json", b"\xff\xfe\x00\x01", "is not UTF-8 text"),
        ("summary.json", b"[1, 2]", "holds a list, not a JSON object"),
        ("metrics.csv", b"step,epoch,val/acc\n0,0,\xff\xfe\n", "is not UTF-8 text"),
        ("metrics.csv", b'step,val/acc\n0,"' + b"9" * 200_000 + b'"\n', "is not a readable CSV"),
        (".hydra/config.yaml", b"- a list\n- not settings\n", "holds a list, not a mapping"),
        (".hydra/overrides.yaml", b"lr: 0.1\n", "holds a mapping, not a list of overrides"),
    ],
    ids=[
        "cut-json",
        "binary-json",
        "list-json",
        "binary-csv",
        "huge-csv-field",
        "list-yaml",
        "mapping-overrides",
    ],
)
def test_a_corrupt_summary_or_metrics_file_makes_its_job_unreadable(
    tmp_path, capsys, file, content, reason
):
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), _finished(0.8)])
    (sweep / "0" / file).write_bytes(content)
    text = build_report(sweep, ReportOptions(pivot=("optimizer", "model.optimizer.lr"))).read_text()

    rows = _rows(text)
    assert rows["0"]["status"] == "unreadable" and rows["1"]["status"] == "finished (best)"
    (line,) = _section(text, "Unreadable jobs")
    assert line == f"- `{sweep / '0'}`: {file} {reason}" + line.split(reason, 1)[1]
    assert len(capsys.readouterr().err.splitlines()) == 1
    if file != ".hydra/overrides.yaml":  # where its overrides are known, the grid says why
        assert "| optimizer=sgd | unreadable | 0.8 |" in text


def test_several_corrupt_files_of_one_job_give_one_line_and_one_warning(tmp_path, capsys):
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), _finished(0.8)])
    (sweep / "1" / ".hydra" / "config.yaml").write_bytes(CORRUPT["unclosed"])
    (sweep / "1" / "summary.json").write_bytes(b"{")
    text = build_report(sweep, ReportOptions()).read_text()
    (line,) = _section(text, "Unreadable jobs")
    assert (
        ".hydra/config.yaml is not valid YAML" in line and "summary.json is not valid JSON" in line
    )
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_single_run_with_a_corrupt_config_is_reported_unreadable(tmp_path, capsys):
    run = _job(tmp_path / "run", "0.1", _finished(0.7))
    (run / ".hydra" / "config.yaml").write_bytes(CORRUPT["unclosed"])
    text = build_report(run, ReportOptions()).read_text()
    assert "Status: **unreadable** (.hydra/config.yaml is not valid YAML (expected ',' or " in text
    assert _section(text, "Unreadable run")[0].startswith(f"- `{run}`: .hydra/config.yaml")
    assert capsys.readouterr().err.startswith(f"warning: {run}: .hydra/config.yaml is not valid")


def test_a_corrupt_multirun_yaml_costs_only_the_plan(tmp_path, capsys):
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), _finished(0.8)])
    (sweep / "multirun.yaml").write_bytes(CORRUPT["unclosed"])
    (sweep / "optimization_results.yaml").write_bytes(CORRUPT["binary"])
    text = build_report(sweep, ReportOptions()).read_text()
    assert "2 jobs: 2 finished." in text
    assert "multirun.yaml is not valid YAML" in text and "planned jobs are not known" in text
    assert "optimization_results.yaml is not UTF-8 text" in text
    assert len(capsys.readouterr().err.splitlines()) == 2


def test_report_py_on_a_sweep_with_a_corrupt_job_warns_and_exits_0_without_torch(tmp_path):
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), _finished(0.8)])
    (sweep / "0" / ".hydra" / "config.yaml").write_bytes(CORRUPT["unclosed"])
    result, torch_loaded = run_script("report.py", tmp_path, "sweep")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded and "Traceback" not in result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: sweep/0: .hydra/config.yaml is not valid YAML")
    assert "## Unreadable jobs" in (sweep / "report" / "report.md").read_text()


# --- 2. Error text is escaped wherever it is written ----------------------------------------

HOSTILE = "ValueError: a | b <script>alert(1)</script> `x` *y* _z_ [l](http://e) ~~s~~ $m$\nsecond"


def test_error_text_cannot_break_the_table_or_inject_markup(tmp_path):
    failed = {"status": "failed", "error": HOSTILE}
    sweep = _sweep(tmp_path / "sweep", [_finished(0.7), failed, {"status": "failed", "error": 3}])
    (sweep / "1" / ".hydra" / "overrides.yaml").write_text(
        "- optimizer=sgd\n- model.optimizer.lr=0.02\n- +tag='<b>|x|</b>'\n- +note=$\\bad{$\n"
    )  # a "$...$" in the legend of the figure is drawn as written, not parsed as mathtext
    text = build_report(sweep, ReportOptions(pivot=("optimizer", "model.optimizer.lr"))).read_text()
    html = _rendered(text)
    rows = _rows(text)
    assert rows["1"]["status"] == "failed"
    assert "+tag='&lt;b&gt;|x|&lt;/b&gt;'" in rows["1"]["overrides"]  # shown as written
    assert (sweep / "report" / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert "<script" not in html and "<b>" not in html
    for tag in ("em", "del", "a", "img", "code>x"):
        assert f"<{tag}" not in html.split("<h2>Curves</h2>")[0].split("<h2>Jobs</h2>")[1]
    (line,) = [li for li in _section(text, "Jobs that did not finish") if li.startswith("- `1`")]
    shown = re.sub(r"<[^>]+>", "", _rendered(line)).strip()
    assert shown.endswith(
        "failed: ValueError: a | b <script>alert(1)</script> `x` *y* _z_ [l](http://e) "
        "~~s~~ $m$ ⏎ second".replace("<", "&lt;").replace(">", "&gt;")
    )
    assert "- `2`" in text and ": failed: 3" in text  # a non-text error is shown as text


def test_error_text_of_a_single_run_is_escaped_in_its_status_line(tmp_path):
    run = _job(tmp_path / "run", "0.1", {"status": "failed", "error": HOSTILE + "\ud800"})
    text = build_report(run, ReportOptions()).read_text()  # a lone surrogate cannot crash it
    (status,) = [line for line in text.splitlines() if line.startswith("Status:")]
    assert status.startswith("Status: **failed** (ValueError: a \\| b &lt;script&gt;")
    assert "\\`x\\` \\*y\\* \\_z\\_ \\[l\\](http://e) \\~\\~s\\~\\~ \\$m\\$ ⏎ second?)." in status


def test_escape_keeps_ordinary_names_readable_and_code_survives_backticks():
    assert escape("model.optimizer.lr=1e+30 val/acc_best adam_lr1e-2") == (
        "model.optimizer.lr=1e+30 val/acc_best adam_lr1e-2"
    )
    assert escape("a\\|b") == "a\\\\\\|b"
    assert escape("x\r\n\n  y\tz\x1b") == "x ⏎ y z\ufffd"
    assert escape(" for lr=1e+30") == " for lr=1e+30"  # one line keeps its spaces
    assert code("a `b` c") == "``a `b` c``" and code("`x`") == "`` `x` ``"
    html = _rendered(markdown_table(["h"], [["a \\| b"], ["x|y"]]))
    assert "<td>a \\| b</td>" in html and "<td>x|y</td>" in html


# --- 3. interrupted, relative checkpoints, no run_dir ---------------------------------------


def test_an_interrupted_job_has_its_own_status_and_message(tmp_path):
    message = "interrupted by SIGTERM at step 40; resume with resume=true"
    sweep = _sweep(
        tmp_path / "sweep",
        [
            _finished(0.7),
            {"status": "interrupted", "error": message, "test/acc": 0.99},
            {"status": "interrupted", "message": "Ctrl-C"},
            {"status": "interrupted"},
            None,
        ],
    )
    text = build_report(sweep, ReportOptions(pivot=("optimizer", "model.optimizer.lr"))).read_text()
    rows = _rows(text)
    assert [rows[j]["status"] for j in "01234"] == [
        "finished (best)",
        "interrupted",
        "interrupted",
        "interrupted",
        "unfinished",
    ]
    assert "5 jobs: 1 finished, 3 interrupted, 1 unfinished." in text
    assert "Best job by val/acc (max): `0`" in text  # an interrupted job is never the best
    assert "| optimizer=sgd | 0.7 | interrupted | interrupted | interrupted | unfinished |" in text
    lines = _section(text, "Jobs that did not finish")
    assert lines[:3] == [
        f"- `1` (model.optimizer.lr=0.02): interrupted: {message}",
        "- `2` (model.optimizer.lr=0.03): interrupted: Ctrl-C",
        "- `3` (model.optimizer.lr=0.04): interrupted: stopped by SIGTERM or Ctrl-C; continue it "
        "with resume=true",
    ]
    single = build_report(sweep / "1", ReportOptions(out_dir=tmp_path / "one")).read_text()
    assert f"Status: **interrupted** ({message})." in single


def test_a_summary_with_a_relative_checkpoint_and_no_run_dir_reports_from_anywhere(
    tmp_path, monkeypatch
):
    summary = {**_finished(0.7), "checkpoint": "checkpoints/best.ckpt", "epochs": 2}
    run = _job(tmp_path / "outputs" / "run", "0.1", summary)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    text = build_report(Path("../outputs/run"), ReportOptions()).read_text()
    assert "Status: **finished**." in text and "| test/acc | 0.7 |" in text
    assert "| parameters | 1,234 |" in text and "| epochs | 2 |" in text
    assert (run / "report" / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_odd_values_in_summary_json_do_not_crash_the_report(tmp_path):
    summary = {
        "status": "finished",
        "params_total": "many",
        "epochs": float("inf"),
        "wall_time_s": [1],
        "test/acc": True,
    }
    run = _job(tmp_path / "run", "0.1", summary)
    text = build_report(run, ReportOptions()).read_text()
    assert "| parameters |  |" in text and "| time (s) |  |" in text
    assert "| epochs | 2 |" in text  # from metrics.csv


# --- 4. A crash while writing leaves no half-written file under its name --------------------


def test_a_crash_while_saving_a_figure_leaves_the_previous_png_whole(tmp_path, monkeypatch):
    run = _job(tmp_path / "run", "0.1", _finished(0.7))
    out = tmp_path / "report"
    build_report(run, ReportOptions(out_dir=out))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def killed_halfway(self, fname, *args, **kwargs):
        (fname.write if hasattr(fname, "write") else Path(fname).write_bytes)(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", killed_halfway)
    with pytest.raises(KeyboardInterrupt):
        build_report(run, ReportOptions(out_dir=out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no .part left either


def test_a_full_disk_while_writing_report_md_leaves_the_previous_one(tmp_path, monkeypatch):
    run = _job(tmp_path / "run", "0.1", _finished(0.7))
    (run / "metrics.csv").write_text("step,epoch\n")  # no curves: report.md is the only file
    out = tmp_path / "report"
    (out / "report.md").parent.mkdir()
    (out / "report.md").write_text("the previous report\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError, match="No space left on device"):
        build_report(run, ReportOptions(out_dir=out))
    monkeypatch.undo()
    assert [p.name for p in out.iterdir()] == ["report.md"]
    assert (out / "report.md").read_text() == "the previous report\n"


def test_a_report_sweeps_away_what_a_killed_report_left(tmp_path):
    run = _job(tmp_path / "run", "0.1", _finished(0.7))
    out = tmp_path / "report"
    out.mkdir()
    orphan = out / "curves.png.999999999.part"  # no process has that pid
    orphan.write_bytes(b"\x89PNG half")
    build_report(run, ReportOptions(out_dir=out))
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "report.md"]
