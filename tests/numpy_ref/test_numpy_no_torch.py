"""numpy_ref must stay pure NumPy: no torch import, in any form, in any of its files."""

import re
from pathlib import Path

import numpy_ref

PACKAGE_DIR = Path(numpy_ref.__file__).parent
TORCH_IMPORT = re.compile(r"^\s*(import\s+torch\b|from\s+torch\b)|__import__\(\s*['\"]torch", re.M)


def test_numpy_ref_sources_never_import_torch():
    sources = sorted(PACKAGE_DIR.glob("*.py"))
    assert len(sources) >= 10, f"expected the numpy_ref modules, found {sources}"
    offenders = [path.name for path in sources if TORCH_IMPORT.search(path.read_text())]
    assert offenders == [], f"torch imported in {offenders}"


def test_the_torch_import_pattern_catches_the_usual_forms():
    for line in ("import torch", "from torch import nn", "    import torch.nn as nn"):
        assert TORCH_IMPORT.search(line), line
    assert not TORCH_IMPORT.search("# torch's layout: import the weights with .numpy()")


def test_importing_numpy_ref_does_not_load_torch():
    import subprocess
    import sys

    code = (
        "import sys, numpy_ref, numpy_ref.dict_mlp, numpy_ref.sigmoid_net;"
        "sys.exit('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE_DIR.parent, check=False)
    assert result.returncode == 0, "importing numpy_ref pulled torch into sys.modules"
