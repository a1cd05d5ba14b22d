"""Nothing students receive contains reference solutions or hidden tests.

Generates the real release of every assignment with nbgrader (a temporary copy of the course)
and scans every file of the bundle (notebooks: sources, outputs and metadata; the kit; anything
else nbgrader copied) for: solution and hidden-test markers, the grader's hook, imports of the
grader or the reference, and any run of three consecutive lines of a reference solution body
or of a hidden suite."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.scoring import ASSIGNMENTS

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "autograder" / "suites"
VENV_BIN = Path(sys.executable).parent
MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "hidden_score", "nbgrader_hook", "@graded(", "autograder.suites", "autograder.sandboxed.worker"]
FORBIDDEN_IMPORTS = re.compile(r"^\s*(from|import)\s+(autograder|reference)\b", re.M)
RUN = 3           # consecutive lines that make a leak
MIN_LEN = 12      # lines shorter than this (after normalising) are too generic to count


def _norm(line: str) -> str:
    line = line.split("#", 1)[0] if not line.lstrip().startswith(("'", '"')) else line
    return re.sub(r"\s+", "", line)


def _runs(lines) -> set:
    """Every run of RUN consecutive non-trivial normalised lines."""
    norm = [n for n in (_norm(ln) for ln in lines) if len(n) >= MIN_LEN]
    return {tuple(norm[i:i + RUN]) for i in range(len(norm) - RUN + 1)}


def _solution_bodies(assignments=ASSIGNMENTS) -> list[list[str]]:
    bodies = []
    for path in [REPO / "reference" / f"{a}.py" for a in assignments]:
        inside, body = False, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if "### BEGIN SOLUTION" in line:
                inside, body = True, []
            elif "### END SOLUTION" in line:
                inside = False
                bodies.append(body)
            elif inside:
                body.append(line)
    return bodies


def _secret_runs(assignment=None) -> dict:
    """Runs that must not appear in `assignment`'s release: the solutions of that assignment and
    of every later one (an earlier assignment's solution may be given code later on, as ps1's
    corr2d is in ps2 and ps3), and every hidden suite."""
    later = ASSIGNMENTS[ASSIGNMENTS.index(assignment):] if assignment else ASSIGNMENTS
    secrets = {}
    for body in _solution_bodies(later):
        for run in _runs(body):
            secrets[run] = "reference solution"
    for path in _suite_files():
        for run in _runs(path.read_text(encoding="utf-8").splitlines()):
            secrets.setdefault(run, f"hidden suite {path.relative_to(SUITES)}")
    return secrets


def _suite_files() -> list[Path]:
    """Every file of the hidden suites: the shared modules and each assignment's folder (its
    declaration, tests, hints and mutation inputs)."""
    files = sorted(SUITES.rglob("*.py"))
    assert {p.parent.name for p in files if p.name.startswith("test_")} == set(ASSIGNMENTS), \
        "a hidden suite the scan does not read"
    return files


def _texts(release: Path):
    """(file, text as students can read it) for every file of the release; a notebook gives its
    raw JSON and each code cell's source as lines."""
    for path in sorted(release.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        yield path, text
        if path.suffix == ".ipynb":
            nb = json.loads(text)
            for i, cell in enumerate(nb["cells"]):
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                yield path.with_name(f"{path.name}[cell {i}]"), src


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    base = tmp_path_factory.mktemp("rel")
    course = base / "assignments"
    ignore = shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db",
                                    "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(REPO / "assignments", course, symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "reference", base / "reference", ignore=ignore)
    present = [a for a in ASSIGNMENTS if (course / "source" / a / f"{a}.ipynb").is_file()]
    assert present == list(ASSIGNMENTS), "every assignment must have its source notebook"
    subprocess.run([sys.executable, str(course / "build_notebooks.py"), *present], check=True,
                   capture_output=True)
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")   # nbgrader runs alembic
    for aid in present:
        proc = subprocess.run([str(VENV_BIN / "nbgrader"), "generate_assignment", aid, "--force"],
                              cwd=str(course), capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-4000:]
    return {"path": course / "release", "assignments": present}


def test_release_has_only_the_notebook_and_the_kit(release):
    kit = {p.name for p in (REPO / "assignments" / "cursocnn").glob("*.py")}
    for aid in release["assignments"]:
        folder = release["path"] / aid
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert files == {f"{aid}.ipynb"} | {f"cursocnn/{k}" for k in kit}, files
        assert not any(p.is_symlink() for p in folder.rglob("*"))        # real files, no links back


def test_no_markers_or_grader_imports(release):
    problems = []
    for path, text in _texts(release["path"]):
        for marker in MARKERS:
            if marker in text:
                problems.append(f"{path}: {marker!r}")
        m = FORBIDDEN_IMPORTS.search(text)
        if m:
            problems.append(f"{path}: imports {m.group(2)}")
    assert not problems, "\n".join(problems)


def test_no_solution_or_hidden_test_source(release):
    problems = []
    for aid in release["assignments"]:
        problems += _leaks(release["path"] / aid, _secret_runs(aid))
    assert not problems, "\n".join(problems[:20])


def _leaks(folder: Path, secrets: dict) -> list[str]:
    assert secrets, "no reference bodies or suites found to scan for"
    problems = []
    for path, text in _texts(folder):
        lines = text.splitlines()
        if path.suffix == ".ipynb":         # the raw JSON: one line per source line, quoted
            lines = [json.loads(f'"{m}"') for m in re.findall(r'^\s*"((?:[^"\\]|\\.)*)",?$', text, re.M)]
        for run in _runs(lines) & set(secrets):
            problems.append(f"{path}: {secrets[run]}: {' / '.join(run)}")
    return problems


def test_notebooks_carry_no_outputs_and_grade_cells_hold_only_the_validate_call(release):
    for aid in release["assignments"]:
        nb = json.loads((release["path"] / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            assert not cell.get("outputs"), cell.get("id")
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                # what the student's Validate runs (the visible checks of that object), nothing hidden
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                code = [line.strip() for line in src.splitlines() if line.strip() and not line.lstrip().startswith("#")]
                obj = meta.get("grade_id", "").removeprefix("test_")
                assert code == ["from cursocnn.selfcheck import validate", f"validate({obj!r})"], \
                    f"{aid}: grade cell {meta.get('grade_id')} holds more than the Validate call: {src!r}"


def test_scanner_catches_a_leak(tmp_path):
    """The scan is not vacuous: a release holding a solution body or a suite excerpt is caught."""
    secrets = _secret_runs()
    body = next(b for b in _solution_bodies() if len(_runs(b)) > 0)
    (tmp_path / "leak.py").write_text("\n".join(body))
    assert _leaks(tmp_path, secrets)
    suite = next(p for p in _suite_files() if p.name.startswith("test_ps"))
    (tmp_path / "leak.py").write_text(suite.read_text(encoding="utf-8"))
    assert _leaks(tmp_path, secrets)
