"""nbgrader's Validate (the button and `nbgrader validate`) means what check() means: the
release's grade cells run cursocnn.selfcheck.validate, which under NBGRADER_EXECUTION=validate
runs the object's public tests and the "implement it yourself" review and fails the cell on
stderr. Checked with real nbgrader on a released ps1, in a student's folder (the release: the
notebook and the kit, no course config, no grader on the path)."""
import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from nbgrader_course import OFF_BY_ONE_CORR2D, VENV_BIN, grade_id, released_course

from autograder.grading.scoring import POINTS

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

AID = "ps1_corr2d"
SUCCESS = "Success! Your notebook passes all the tests."

OFF_BY_ONE = OFF_BY_ONE_CORR2D
LIBRARY = '''import torch.nn.functional as F

def corr2d(X, K):
    return F.conv2d(X[None, None], K[None, None].to(X.dtype))[0, 0]
'''


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    base = tmp_path_factory.mktemp("validate")
    course, env, release_nb, solutions = released_course(base, AID)
    return {"folder": course / "release" / AID, "nb": release_nb, "solutions": solutions, "base": base}


def _student_folder(release, name: str, nb: dict) -> Path:
    folder = release["base"] / "students" / name
    shutil.copytree(release["folder"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / f"{AID}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return folder


def _filled(release, replace: dict) -> dict:
    """The release with every solution cell filled with the reference, except the grade ids in
    `replace`, which get the given source."""
    nb = copy.deepcopy(release["nb"])
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if gid in release["solutions"]:
            cell["source"] = replace.get(gid, release["solutions"][gid])
    return nb


def _validate(folder: Path) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "CURSOCNN_NOTEBOOK")}
    env.update(PATH=f"{VENV_BIN}:{env.get('PATH', '')}", CNN_QUICK="1")
    proc = subprocess.run([str(VENV_BIN / "nbgrader"), "validate", f"{AID}.ipynb"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback (most recent call last)" not in proc.stderr, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_release_grade_cells_call_validate(release):
    grade = [c for c in release["nb"]["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("grade")
             and c["cell_type"] == "code"]
    assert len(grade) == len(POINTS[AID])
    for cell in grade:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        assert "validate(" in src and "hidden_score" not in src


def test_untouched_release_fails_validation(release):
    out = _validate(_student_folder(release, "untouched", release["nb"]))
    assert SUCCESS not in out
    assert f"VALIDATION FAILED ON {len(POINTS[AID])} CELL(S)" in out
    assert "todavía no está implementada" in out
    assert "la implementación es tuya" not in out      # a stub is not an implementation


def test_off_by_one_corr2d_fails_validation(release):
    out = _validate(_student_folder(release, "off_by_one", _filled(release, {"sol_corr2d": OFF_BY_ONE})))
    assert SUCCESS not in out and "VALIDATION FAILED ON" in out
    assert "✘ corr2d" in out and "La salida debería medir 2×2" in out
    # learn_kernel does not use corr2d: its cell passes
    assert "validate('learn_kernel')" not in out


def test_library_call_fails_the_implementation_rule(release):
    """Passes every public test but breaks "implement it yourself": Validate says so."""
    out = _validate(_student_folder(release, "library", _filled(release, {"sol_corr2d": LIBRARY})))
    assert SUCCESS not in out and "VALIDATION FAILED ON 1 CELL(S)" in out
    assert "validate('corr2d')" in out and "✘ corr2d usa `F.conv2d`" in out


def test_correct_notebook_passes_validation(release):
    out = _validate(_student_folder(release, "correct", _filled(release, {})))
    assert SUCCESS in out, out[-3000:]
