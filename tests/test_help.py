"""``--help`` from labkit.help: each experiment with its one-line description, sweeps marked, only
the entry point's own experiments; the header and config as Hydra's own help prints them."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.help import answer_help, config_groups, read_experiments

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT_DIR = ROOT / "configs" / "experiment"
# Experiments that run several jobs (hydra.sweeper.params or hydra.mode: MULTIRUN).
SWEEPS = {
    "cifar10_grid",
    "cifar10_mlp_matched",
    "fashion_mlp_lr",
    "fashion_mlp_sizes",
    "fashion_optimizers",
    "permuted_fashion",
}

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
def test_help_header_and_config_are_what_hydras_help_prints(script, args):
    ours = _help(script, args, hydra_native=False)
    hydras = _help(script, args, hydra_native=True)
    assert "== Config (" in ours
    assert ours.partition("== Config (")[2] == hydras.partition("== Config (")[2]
    assert ours.partition("==")[0] == hydras.partition("==")[0], "the header"


def _first_comment(path: Path) -> str:
    comments = [line[1:].strip() for line in path.read_text().splitlines() if line.startswith("#")]
    return next(c for c in comments if not c.startswith("@package"))


def _experiment_lines(help_text: str) -> dict[str, str]:
    block = help_text.partition("experiment (experiment=<name>")[2].split("\n")[1:]
    lines = itertools.takewhile(lambda line: line.startswith("  "), block)
    return {line.split()[0]: line for line in lines}


def test_train_help_gives_each_experiment_its_description_and_marks_the_sweeps():
    lines = _experiment_lines(_help("train.py", [], hydra_native=False))
    torch_experiments = {
        p.stem for p in EXPERIMENT_DIR.glob("*.yaml") if "entry: train_numpy" not in p.read_text()
    }
    assert set(lines) == torch_experiments
    for name, line in lines.items():
        assert _first_comment(EXPERIMENT_DIR / f"{name}.yaml") in line, line
        assert ("[sweep]" in line) == (name in SWEEPS), f"{name}: {line}"
    assert "three learning rates" in lines["fashion_mlp_lr"]


def test_train_numpy_help_names_itself_and_lists_only_its_experiments():
    text = _help("train_numpy.py", [], hydra_native=False)
    assert "Usage: python train_numpy.py experiment=<name>" in text
    assert "python train.py" not in text
    assert set(_experiment_lines(text)) == {
        "numpy_linear_ae",
        "numpy_mlp_mnist",
        "numpy_mlp_mnist_fast",
        "numpy_theory_checks",
    }
    groups = {line.partition(":")[0] for line in text.partition("== Config")[0].splitlines()}
    assert {"numpy_data", "numpy_optim"} <= groups and not {"net", "callbacks"} & groups


def test_experiments_inherit_entry_and_sweep_from_the_experiment_they_extend(tmp_path):
    folder = tmp_path / "experiment"
    folder.mkdir()
    files = {
        "base": "# @package _global_\n# A plain run.\nentry: train_numpy\n",
        "lr_sweep": (
            "# @package _global_\n# Three learning rates.\ndefaults:\n  - base\n  - _self_\n"
            "hydra:\n  sweeper:\n    params:\n      lr: 1,2,3\n"
        ),
        "lr_sweep_longer": "# Longer.\ndefaults:\n  - lr_sweep\n",
        "searched": "# Searched.\ndefaults:\n  - override /hparams_search: optuna\n",
        "grid": "# A grid.\nhydra:\n  mode: MULTIRUN\n",
    }
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)

    found = read_experiments(tmp_path)

    assert list(found) == sorted(files)
    assert found["base"].description == "A plain run." and not found["base"].sweep
    assert found["lr_sweep"].sweep and found["lr_sweep"].entry == "train_numpy"
    assert found["lr_sweep_longer"].sweep and found["lr_sweep_longer"].entry == "train_numpy"
    assert found["searched"].sweep and found["grid"].sweep and found["grid"].entry is None


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
