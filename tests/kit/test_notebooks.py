"""The course notebooks as nbgrader sees them.

- every source notebook runs end to end with its solutions in a real Jupyter kernel
  (CNN_QUICK=1), with no error and nothing on stderr in the nbgrader cells;
- `nbgrader validate` passes on the source notebooks;
- `nbgrader generate_assignment` (in a temporary copy of assignments/) releases notebooks
  with the solutions replaced by stubs, no hidden tests, and the cursocnn kit as real files;
- a released notebook, run as is, fails exactly at the stubs.

The grade cells' hidden part calls autograder.nbgrader_hook.hidden_score, which grades the
whole notebook with the hardened grader (tested in the hook's own tests); it is far too slow
to run here for five notebooks, so the executions below clear the hidden tests first, exactly
as nbgrader's ClearHiddenTests does when it releases an assignment.
"""
from __future__ import annotations

import ast
import filecmp
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.grading.scoring import POINTS

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS_DIR = ROOT / "assignments"
IDS = [a for a in POINTS if (ASSIGNMENTS_DIR / "source" / a / f"{a}.ipynb").exists()]
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
CELL_TIMEOUT = 300          # seconds per cell
NOTEBOOK_BUDGET = 180       # seconds for a whole notebook in quick mode

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

STUB = "# TU CÓDIGO AQUÍ\nraise NotImplementedError()"   # ClearSolutions.code_stub (nbgrader_config.py)
_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION$", re.M | re.S)


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _read_source(assignment):
    return nbformat.read(ASSIGNMENTS_DIR / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def _clear_hidden_tests(nb):
    from nbgrader.preprocessors import ClearHiddenTests
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


@pytest.fixture
def quick_env(monkeypatch):
    """Kernel environment: demos in quick mode; nothing graded behind our back."""
    monkeypatch.setenv("CNN_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # a student's kernel finds the kit beside the notebook, never through a developer's
    # PYTHONPATH (e.g. PYTHONPATH=$PWD:$PWD/assignments would hide the released copy)
    kept = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if p and not (Path(p) / "cursocnn").is_dir()]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(kept))
    return os.environ


def _execute(nb, cwd: Path):
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.monotonic()
    client.execute()
    return time.monotonic() - start


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _stderr(cell):
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")


def _describe(cell):
    errs = _errors(cell)
    tb = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in errs[0].traceback) if errs else ""
    return f"cell {cell.get('id')} ({_nbg(cell).get('grade_id', 'plain')}):\n{cell.source[:400]}\n---\n{tb[-2000:]}"


# ------------------------------------------------------------------------ source notebooks

def _validate_and_capture(nb_path: Path):
    """nbgrader's own validation (Validator.validate: clear outputs, execute with nbgrader's
    Execute preprocessor, look for failing grade/test cells), keeping the executed notebook."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    class Capturing(Validator):
        executed = None

        def _preprocess(self, nb):
            nb = super()._preprocess(nb)
            self.executed = nb
            return nb

    validator = Capturing(config=Config({"Execute": {"timeout": CELL_TIMEOUT}}))
    start = time.monotonic()
    results = validator.validate(str(nb_path))
    return results, validator.executed, time.monotonic() - start


@pytest.mark.parametrize("assignment", IDS)
def test_source_notebook_validates_and_runs_clean(assignment, tmp_path, quick_env):
    src = ASSIGNMENTS_DIR / "source" / assignment
    work = tmp_path / assignment
    shutil.copytree(src, work, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for link in (work / "cursocnn").iterdir():  # relative links: point them back at the kit
        target = (src / "cursocnn" / link.name).resolve()
        link.unlink()
        link.symlink_to(target)
    nb_path = work / f"{assignment}.ipynb"
    nbformat.write(_clear_hidden_tests(_read_source(assignment)), nb_path)
    results, nb, elapsed = _validate_and_capture(nb_path)
    assert results == {}, f"nbgrader validate: {results}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not _errors(cell), _describe(cell)
        assert cell.execution_count is not None or not cell.source.strip()
        if _nbg(cell):  # setup, given, solution, visible and grade cells are silent on stderr
            assert _stderr(cell) == "", _describe(cell) + "\nstderr: " + _stderr(cell)
    visible = [c for c in code if _nbg(c).get("grade_id", "").startswith("visible_")]
    assert visible and all(c.outputs for c in visible), "every notebook has visible tests that report"
    assert elapsed < NOTEBOOK_BUDGET, f"{assignment} took {elapsed:.0f}s in quick mode"


# ------------------------------------------------------------------------ release

@pytest.fixture(scope="session")
def course_copy(tmp_path_factory):
    """A temporary copy of assignments/ (symlinks kept as symlinks) where nbgrader may write."""
    dest = tmp_path_factory.mktemp("course") / "assignments"
    shutil.copytree(ASSIGNMENTS_DIR, dest, symlinks=True, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "__pycache__", ".ipynb_checkpoints"))
    return dest


@pytest.fixture(scope="session")
def released(course_copy):
    done = {}

    def release(assignment) -> Path:
        if assignment not in done:
            env = dict(os.environ)
            # nbgrader runs `alembic` (gradebook migrations) from PATH
            env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
            proc = subprocess.run([NBGRADER, "generate_assignment", assignment, "--force"], cwd=course_copy,
                                  capture_output=True, text=True, timeout=300, env=env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            done[assignment] = course_copy / "release" / assignment
        return done[assignment]

    return release


def _expected_student_source(source: str) -> str:
    return _SOLUTION.sub(lambda m: "\n".join(m.group(1) + line for line in STUB.split("\n")), source)


@pytest.mark.parametrize("assignment", IDS)
def test_release_has_stubs_no_solutions_no_hidden_tests(assignment, released):
    rel = released(assignment)
    nb = nbformat.read(rel / f"{assignment}.ipynb", as_version=4)
    example = nbformat.read(ROOT / "examples" / assignment / "sin_resolver.ipynb", as_version=4)
    assert [c.source for c in example.cells] == [c.source for c in nb.cells], \
        "examples/<id>/sin_resolver.ipynb is stale: copy the new release over it"
    src = _read_source(assignment)
    assert len(nb.cells) == len(src.cells)
    for student, teacher in zip(nb.cells, src.cells):
        meta = _nbg(teacher)
        assert student.cell_type == teacher.cell_type
        assert "BEGIN SOLUTION" not in student.source and "END SOLUTION" not in student.source
        assert "HIDDEN TESTS" not in student.source and "hidden_score" not in student.source
        assert "nbgrader_hook" not in student.source
        if meta.get("solution"):
            assert student.source == _expected_student_source(teacher.source)
            assert student.source.count("raise NotImplementedError()") == teacher.source.count("### BEGIN SOLUTION")
        elif meta.get("grade") and teacher.cell_type == "code":
            # what remains is the Validate call (cursocnn.selfcheck.validate), nothing hidden
            obj = meta["grade_id"].removeprefix("test_")
            assert student.source.strip() == (
                "# Al validar (botón Validate o `nbgrader validate`) esta celda corre lo mismo que\n"
                f"# check({obj!r}); la nota la dan las pruebas ocultas del corrector.\n"
                "from cursocnn.selfcheck import validate\n"
                f"validate({obj!r})")
            assert _nbg(student)["points"] == meta["points"]
        else:
            assert student.source == teacher.source
        if meta:
            assert _nbg(student)["grade_id"] == meta["grade_id"]
            if meta.get("locked") or meta.get("grade") or meta.get("solution"):
                assert "checksum" in _nbg(student)
    # no solution line of a graded object survives anywhere in the student's notebook
    from reference import MODULES
    ref_text = Path(MODULES[assignment].__file__).read_text(encoding="utf-8")
    solution_lines = {line.strip() for m in _SOLUTION.finditer(ref_text)
                      for line in m.group(0).splitlines()[1:-1] if len(line.strip()) > 12}
    given_lines = {line.strip() for c in src.cells if c.cell_type == "code" and not _nbg(c).get("solution")
                   for line in c.source.splitlines()}
    leaked = {line.strip() for c in nb.cells for line in c.source.splitlines()} & (solution_lines - given_lines)
    assert not leaked, f"solution code in the release: {sorted(leaked)}"


@pytest.mark.parametrize("assignment", IDS)
def test_release_ships_the_kit_as_real_files(assignment, released):
    kit = released(assignment) / "cursocnn"
    names = sorted(p.name for p in (ASSIGNMENTS_DIR / "cursocnn").glob("*.py"))
    assert sorted(p.name for p in kit.iterdir()) == names
    for name in names:
        assert not (kit / name).is_symlink() and (kit / name).is_file()
        assert filecmp.cmp(kit / name, ASSIGNMENTS_DIR / "cursocnn" / name, shallow=False)
    assert not list(released(assignment).rglob("__pycache__"))
    assert not list(released(assignment).rglob("*.ipynb_checkpoints"))


def _defined_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _bound_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | \
        _defined_names(source)


def _used_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@pytest.mark.parametrize("assignment", IDS)
def test_released_notebook_fails_exactly_at_the_stubs(assignment, released, quick_env):
    rel = released(assignment)
    nb = nbformat.read(rel / f"{assignment}.ipynb", as_version=4)
    probe = nbformat.v4.new_code_cell("import cursocnn, os\nprint(os.path.realpath(cursocnn.__file__))")
    nb.cells.append(probe)
    _execute(nb, rel)
    stubs = set().union(*(_defined_names(c.source) for c in nb.cells if _nbg(c).get("solution")))
    assert stubs >= set(POINTS[assignment])
    failed_visible = set()
    lost = set()  # names a cell that stopped at a stub would have bound
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        calls_stub = bool(_used_names(cell.source) & stubs)
        if errors:
            uses_lost = bool(_used_names(cell.source) & lost)
            assert calls_stub or uses_lost, "a cell that calls no stub fails:\n" + _describe(cell)
            for err in errors:
                text = err.ename + "\n" + "\n".join(err.traceback)
                missing = re.match(r"name '(\w+)' is not defined", err.evalue or "")
                # a NameError for a value that an earlier stub-failed cell did not get to compute
                # is caused by that stub too
                consequence = err.ename == "NameError" and missing and missing.group(1) in lost
                assert err.ename == "NotImplementedError" or "NotImplementedError" in text or consequence, \
                    _describe(cell)
            lost |= _bound_names(cell.source)
            if _nbg(cell).get("grade_id", "").startswith("visible_"):
                failed_visible.add(_nbg(cell)["grade_id"])
        elif _nbg(cell).get("grade_id", "").startswith("visible_"):
            pytest.fail("a visible test passes with the stubs:\n" + cell.source[:300])
    assert failed_visible, "the visible tests should fail on the stubs"
    out = "".join(o.get("text", "") for o in probe.outputs)
    assert out.strip() == os.path.realpath(rel / "cursocnn" / "__init__.py"), \
        f"the released notebook must import the kit shipped with it: {out!r}"
