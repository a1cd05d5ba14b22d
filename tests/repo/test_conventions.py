"""The conventions that run, both configured in pyproject.toml: ruff (the rules the code annotates
with `# noqa`) over the whole tree, mypy over the typed core ([tool.mypy] files). Each needs the dev
extra (make setup installs it) and skips with the reason otherwise. Marked slow: each starts the
tool as a process."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _tool(module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]'; make setup does)")
    return [sys.executable, "-m", module]


def test_ruff_finds_nothing():
    proc = subprocess.run(_tool("ruff") + ["check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_passes_on_the_typed_core():
    proc = subprocess.run(_tool("mypy"), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
