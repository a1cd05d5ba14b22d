"""What `pip install .` ships: the packages setuptools finds ([tool.setuptools.packages.find]) and
the data files the grader reads at run time, with the version autograder.__version__ says.
Builds a wheel from a copy of the files it is made of (so the checkout gets no build/ folder)."""
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import autograder

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow   # starts pip


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed in this environment (a wheel is built without network)")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("autograder", "reference", "assignments/cursocnn"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = out.glob("*.whl")
    assert wheel.name.startswith(f"cnn_autograder-{autograder.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_package_and_module_is_shipped(wheel_names):
    for tree, prefix in ((ROOT / "autograder", "autograder"), (ROOT / "reference", "reference"),
                         (ROOT / "assignments" / "cursocnn", "cursocnn")):
        modules = {f"{prefix}/{p.relative_to(tree).as_posix()}" for p in tree.rglob("*.py")
                   if "__pycache__" not in p.parts}
        assert modules and modules <= wheel_names, sorted(modules - wheel_names)


def test_run_time_data_is_shipped(wheel_names):
    needed = {"autograder/text/locale/en/LC_MESSAGES/autograder.mo", "autograder/sandboxed/kernel_boot/main.py",
              "autograder/suites/plugin.py", "autograder/pages/templates/class.html.j2",
              "autograder/pages/templates/student.html.j2"}
    assert needed <= wheel_names, sorted(needed - wheel_names)
    assert not any(n.startswith(("tests/", "examples/", "bench/")) for n in wheel_names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel_names)
