"""``--help`` comes from labkit.help and says exactly what Hydra's own help would say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.help import answer_help, config_groups

ROOT = Path(__file__).resolve().parents[1]

# Hydra's own help: the script's main() called as a library function, so its `__main__` block
# (which answers --help first) does not run; HYDRA_MAIN_MODULE makes Hydra find configs/ from the
# script's file, as it does when the script is run directly.
_HYDRA_HELP = (
    "import runpy, sys\n"
    "sys.argv = [{script!r}] + sys.argv[1:]\n"
    "runpy.run_path({script!r}, run_name='hydra_help')['main']()\n"
)


def _help(script: str, args: list[str], hydra_native: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HYDRA_MAIN_MODULE": "__main__"}
    path = str(ROOT / script)
    command = ["-c", _HYDRA_HELP.format(script=path)] if hydra_native else [path]
    result = subprocess.run(
        [sys.executable, *command, "--help", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("train.py", []),
        ("train.py", ["experiment=multimnist", "model.optimizer.lr=0.1"]),
        ("train_numpy.py", ["experiment=numpy_mlp_mnist"]),
        ("probe.py", []),
    ],
)
def test_help_text_is_what_hydra_would_print(script, args):
    ours = _help(script, args, hydra_native=False)
    assert "== Config (" in ours
    assert ours == _help(script, args, hydra_native=True)


def test_config_groups_lists_yaml_folders_but_not_hydras_own(tmp_path):
    for path in ["train.yaml", "net/mlp.yaml", "net/cnn.yaml", "search/optuna/fast.yaml"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}\n")
    (tmp_path / "hydra" / "help").mkdir(parents=True)
    (tmp_path / "hydra" / "default.yaml").write_text("{}\n")
    (tmp_path / "hydra" / "help" / "mine.yaml").write_text("{}\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a config\n")

    assert config_groups(tmp_path) == {"net": ["cnn", "mlp"], "search/optuna": ["fast"]}


@pytest.mark.parametrize(
    "argv",
    [
        ["experiment=mnist_mlp"],  # no help asked
        ["--help", "--resolve"],  # a flag only Hydra's parser knows
        ["--help", "experiment=nope"],  # Hydra reports the bad override in its own words
        ["--help", "model.optimizer.lr=1,2"],  # a sweep value: not one config
    ],
)
def test_help_leaves_to_hydra_what_it_cannot_answer(argv, capsys):
    assert answer_help(ROOT / "configs", "train", argv) is False
    assert capsys.readouterr().out == ""
