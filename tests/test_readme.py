"""The README's table of config groups names every option a user can pick in each group."""

import re
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR

README = Path(CONFIG_DIR).parent / "README.md"
# callbacks/ lists its bundles only (one file per callback is said in words); default options
# are what a run gets without naming one.
GROUPS = ["data", "model", "net", "optimizer", "scheduler", "debug", "trainer", "logger"]


def _row(group: str) -> str:
    rows = [line for line in README.read_text().splitlines() if line.startswith(f"| `{group}/` |")]
    assert len(rows) == 1, f"README has {len(rows)} rows for {group}/"
    return rows[0]


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_of_a_group_is_in_the_readme(group):
    options = {p.stem for p in Path(CONFIG_DIR, group).glob("*.yaml")} - {"default"}
    named = set(re.findall(r"`([^`/]+)`", _row(group).split("|")[2]))
    assert options <= named, f"README's {group}/ row lacks {sorted(options - named)}"
    assert named <= options | {"default"}, f"README's {group}/ row names {sorted(named - options)}"
