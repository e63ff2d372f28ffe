"""The import graph has no upward arrow: each package imports only the layers below it.

The layers are docs/architecture.md's. An import inside a function counts as much as one at the
top of a file: both make the lower layer depend on the higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEAVES = {"nets": set(), "numpy_ref": set(), "labkit": set()}
BASES = {
    "lightning_modules": {"labkit"},
    "datamodules": {"labkit"},
    "figures": {"labkit"},
    "numpy_bridge": {"labkit", "numpy_ref"},
}
OBSERVERS = {"callbacks": {*LEAVES, *BASES}}
APPLICATIONS = {
    name: {*LEAVES, *BASES, *OBSERVERS}
    for name in (
        "run_report",
        "mobilenet_probe",
        "numpy_experiments",
        "hydra_plugins",
        "loop_demos",
        "seed_answers",
    )
}
ALLOWED = {**LEAVES, **BASES, **OBSERVERS, **APPLICATIONS}


def _project_imports(package: str) -> dict[str, set[str]]:
    """``{file: project packages it imports}`` for every module of ``package``."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & set(ALLOWED)) - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    upward = {
        file: sorted(names - ALLOWED[package])
        for file, names in _project_imports(package).items()
        if names - ALLOWED[package]
    }
    assert not upward, f"{package} may import only {sorted(ALLOWED[package])}: {upward}"


def test_every_top_level_package_has_a_layer():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    packages |= {"hydra_plugins"} & {p.name for p in ROOT.iterdir()}
    assert packages - {"tests", "benchmarks"} <= set(ALLOWED), packages - set(ALLOWED)
