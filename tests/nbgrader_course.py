"""A temporary copy of the course as a real nbgrader course, shared by the nbgrader tests
(test_nbgrader_flow.py, test_nbgrader_confined.py)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def nbgrader(course: Path, *args, env=None):
    proc = subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=str(course), env=env,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def released_course(base: Path, assignment: str, configure=None):
    """assignments/ and reference/ copied under base, `assignment` generated with nbgrader.
    configure(course folder) may edit nbgrader_config.py first. Returns (course folder, env for
    nbgrader, the released notebook, {solution cell's grade id: reference source})."""
    course = base / "assignments"
    ignore = shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db",
                                    "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(REPO / "assignments", course, symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "reference", base / "reference", ignore=ignore)
    if configure is not None:
        configure(course)
    (base / "tmp").mkdir()
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", TMPDIR=str(base / "tmp"),
               AUTOGRADER_DEVICE="cpu", AUTOGRADER_LANG="es",
               AUTOGRADER_WARM_SECONDS="0")   # no service outliving the test (tests/test_nbgrader_warm.py)
    env.pop("AUTOGRADER_NOTEBOOK", None)
    subprocess.run([sys.executable, str(course / "build_notebooks.py"), assignment], check=True, env=env,
                   capture_output=True)
    nbgrader(course, "generate_assignment", assignment, "--force", env=env)
    release = json.loads((course / "release" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    source = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    solutions = {grade_id(c): c["source"] for c in source["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    return course, env, release, solutions
