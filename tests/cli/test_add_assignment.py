"""docs/adding-an-assignment.md works: in a temporary copy of the repository, a throwaway assignment
(ps9_relu, one graded function) is added by creating only the files the guide names and running
the builder it names; the real CLI then lists and grades it (a correct and a wrong submission),
scoring and nbgrader_config.py see it, and no file that existed before was modified. Last, the
guide's regeneration step rewrites the docs' tables, and nothing else."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AID = "ps9_relu"

# The files the guide tells a maintainer to write, relative to the repository root.
NEW_FILES = {
    f"autograder/suites/{AID}/__init__.py": '''
        """ps9_relu: its declaration (here), its hidden suite (test_ps9_relu.py), its mutation inputs."""
        from autograder.text.i18n import N_
        from autograder.grading.registry import Assignment, Graded

        ASSIGNMENT = Assignment(
            id="ps9_relu",
            title=N_("La activación ReLU"),
            graded=(Graded("relu", 3),),
        )
    ''',
    f"autograder/suites/{AID}/inputs.py": '''
        """Random calls of relu for the mutation check."""
        from autograder.suites.random_calls import TRIALS, tensor


        def relu_calls(r):
            return [((tensor(r, r.randint(1, 5), r.randint(1, 5)),), {}) for _ in range(TRIALS)]


        CALLS = {"relu": relu_calls}
    ''',
    f"autograder/suites/{AID}/test_{AID}.py": '''
        """Hidden suite of ps9_relu: relu (3)."""
        import torch

        from autograder.text.i18n import N_
        from autograder.suites import Call, generator, graded, randn


        def check_relu(student, say, X):
            call = Call("relu", {"X": X})
            got = student.run(call)
            say.check_tensor(call, got, X.double().clamp(min=0))
            if got.dtype != X.dtype:
                say.wrong("{call} devolvió un tensor {got}; se esperaba el tipo de X ({expected}).",
                          call=call, got=got.dtype, expected=X.dtype)


        @graded("relu", points=1, title=N_("valores negativos, cero y positivos"))
        def test_relu_small(student, say):
            check_relu(student, say, torch.tensor([[-1.5, 0.0, 2.0]]))


        @graded("relu", points=2, title=N_("tensor aleatorio de forma (2, 3, 4)"))
        def test_relu_random(student, say):
            check_relu(student, say, randn(generator(9), 2, 3, 4))
    ''',
    f"reference/{AID}.py": '''
        import torch


        def relu(X):
            """ReLU elemento a elemento: max(x, 0) en cada posición de X."""
            ### BEGIN SOLUTION
            return torch.where(X > 0, X, torch.zeros_like(X))
            ### END SOLUTION
    ''',
    f"assignments/notebooks/{AID}.py": '''
        # %% [markdown]
        # # Tarea 9 · La activación ReLU
        #
        # Completa `relu(X)`: devuelve un tensor de la forma de `X` con `max(x, 0)` en cada posición.

        # %% setup
        import torch

        # %% solution relu

        # %% visible relu
        Y = relu(torch.tensor([-2.0, 0.0, 3.0]))
        assert Y.tolist() == [0.0, 0.0, 3.0], f"relu([-2, 0, 3]) debería dar [0, 0, 3], no {Y.tolist()}"
        print("¡Bien! relu pasa la comprobación visible.")

        # %% grade relu
    ''',
    f"examples/{AID}/con_errores.py": '''
        # Typical mistake: the absolute value instead of max(x, 0) (0 points).
        import torch


        def relu(X):
            return X.abs()
    ''',
}
# What the builder writes (new files only).
BUILT = {f"assignments/source/{AID}/{AID}.ipynb", f"examples/{AID}/perfecta.ipynb"}
BUILT_KIT_DIR = f"assignments/source/{AID}/cursocnn/"
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}


def _copy_repository(dest: Path) -> None:
    """The tracked (and not ignored) files of the repository, without the tests and benchmarks."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        if rel.split("/", 1)[0] in ("tests", "bench", ".ci"):
            continue
        src = ROOT / rel
        if not os.path.lexists(src):   # deleted in the working tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)


def _hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if SKIPPED_PARTS & set(rel.parts) or path.is_dir():
            continue
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        out[rel.as_posix()] = hashlib.sha256(data).hexdigest()
    return out


def _run(copy: Path, *args, timeout=120):
    env = dict(os.environ, PYTHONPATH=f"{copy}:{copy / 'assignments'}", PYTHONDONTWRITEBYTECODE="1")
    env.pop("AUTOGRADER_SUITES_PLUGIN", None)
    proc = subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


SEES_IT = """\
import json, os
from traitlets.config import Config
from autograder.grading import budget, registry, scoring
from autograder.mutation import mutants as mutation
cfg = Config()
ns = {"get_config": lambda: cfg, "__file__": os.path.abspath("assignments/nbgrader_config.py")}
exec(compile(open("assignments/nbgrader_config.py").read(), "nbgrader_config.py", "exec"), ns)
print(json.dumps({"points": scoring.POINTS.get("ps9_relu"), "max": scoring.max_score("ps9_relu"),
                  "budget": budget.default_seconds("ps9_relu"), "nbgrader": ns["ASSIGNMENTS"],
                  "mutable": list(mutation.MUTABLE_ASSIGNMENTS), "ids": list(registry.ids())}))
"""


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_new_assignment_is_added_by_the_guide_alone(tmp_path):
    guide = (ROOT / "docs" / "adding-an-assignment.md").read_text(encoding="utf-8")
    for rel in NEW_FILES:   # the guide names every file this test writes
        assert rel.replace(AID, "<id>") in guide, rel
    copy = tmp_path / "repo"
    _copy_repository(copy)
    before = _hashes(copy)
    assert not any(AID in rel for rel in before)

    for rel, text in NEW_FILES.items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    _run(copy, "assignments/build_notebooks.py", AID)

    after = _hashes(copy)
    changed = sorted(rel for rel in before if after.get(rel) != before[rel])
    assert changed == [], changed
    new = set(after) - set(before)
    assert BUILT | set(NEW_FILES) <= new
    kit_links = new - BUILT - set(NEW_FILES)
    assert kit_links and all(rel.startswith(BUILT_KIT_DIR) for rel in kit_links), kit_links

    # every list derives from the registry
    assert _run(copy, "-m", "autograder", "list").split() == \
        ["ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling", "ps5_lenet", AID]
    seen = json.loads(_run(copy, "-c", SEES_IT).strip().splitlines()[-1])
    assert seen["points"] == {"relu": 3} and seen["max"] == 3 and seen["budget"] == 120
    assert seen["nbgrader"] == seen["ids"] and AID in seen["ids"]
    assert AID in seen["mutable"]        # its inputs.py: the mutation check covers it

    # graded end to end by the real CLI, in the sandbox
    out = tmp_path / "out"
    _run(copy, "-m", "autograder", "grade", "-a", AID, "--out", str(out), "--no-report",
         f"examples/{AID}", timeout=300)
    perfect = json.loads((out / "perfecta" / "results.json").read_text(encoding="utf-8"))
    wrong = json.loads((out / "con_errores" / "results.json").read_text(encoding="utf-8"))
    assert (perfect["score"], perfect["max_score"]) == (3, 3)
    assert (wrong["score"], wrong["max_score"]) == (0, 3)
    assert all(t["name"].startswith("relu:") for t in wrong["tests"])
    assert all(t["status"] == "failed" and t.get("output") for t in wrong["tests"])
    graded = _hashes(copy)
    assert all(graded.get(rel) == digest for rel, digest in after.items())   # grading writes nothing here

    # the guide's regeneration step: the docs' tables, and only them
    _run(copy, "-m", "autograder.cli.assignment_list", "--write-docs")
    final = _hashes(copy)
    assert sorted(rel for rel in after if final[rel] != after[rel]) == ["README.md", "docs/cli.md"]
    for doc in ("README.md", "docs/cli.md"):
        assert f"| `{AID}` | La activación ReLU | `relu` 3 | 3 |" in (copy / doc).read_text(encoding="utf-8")

    # the translation step, as the guide states it: the catalogue gets the new texts, untranslated,
    # for the maintainer to fill in (the one existing file edited by hand)
    _run(copy, "-m", "autograder.text.i18n", "update")
    translated = _hashes(copy)
    po = "autograder/text/locale/en/LC_MESSAGES/autograder.po"
    assert sorted(rel for rel in final if translated[rel] != final[rel]) == [po]
    catalogue = (copy / po).read_text(encoding="utf-8")
    assert 'msgid "La activación ReLU"\nmsgstr ""' in catalogue
    assert 'msgid "valores negativos, cero y positivos"\nmsgstr ""' in catalogue
