"""assignments/build_notebooks.py: the committed source notebooks are exactly what the builder
produces from assignments/notebooks/ + reference/ (no drift), solution and given cells are the
reference source verbatim, and the nbgrader metadata is what nbgrader expects."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.scoring import POINTS

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS_DIR = ROOT / "assignments"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", ASSIGNMENTS_DIR / "build_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up while it executes
    spec.loader.exec_module(mod)
    return mod


bn = _load_builder()
IDS = bn.assignment_ids()


def _read(assignment):
    return nbformat.read(ASSIGNMENTS_DIR / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def _nbg(cell):
    return cell.metadata.get("nbgrader")


def test_all_five_assignments_have_sources():
    assert IDS == [a for a in POINTS if (ASSIGNMENTS_DIR / "notebooks" / f"{a}.py").exists()]
    assert {"ps1_corr2d", "ps2_conv2d", "ps3_channels"} <= set(IDS)


def test_no_drift():
    assert bn.build(check=True) == []


@pytest.mark.slow
def test_cli_check_passes_on_repository():
    proc = subprocess.run([sys.executable, str(ASSIGNMENTS_DIR / "build_notebooks.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_check_detects_drift_and_build_fixes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bn, "SOURCE", tmp_path / "source")
    monkeypatch.setattr(bn, "EXAMPLES", tmp_path / "examples")
    assert bn.main(["--check", "ps1_corr2d"]) == 1
    assert not (tmp_path / "source").exists(), "--check must not write"
    assert bn.main(["ps1_corr2d"]) == 0
    nb_path = tmp_path / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb"
    committed = ASSIGNMENTS_DIR / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb"
    assert nb_path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    assert bn.main(["--check", "ps1_corr2d"]) == 0
    # a hand edit of the generated notebook is drift
    nb_path.write_text(nb_path.read_text(encoding="utf-8").replace("corr2d", "corr2D", 1), encoding="utf-8")
    assert bn.main(["--check", "ps1_corr2d"]) == 1
    # a stray kit file is drift too, and the build removes it
    stray = tmp_path / "source" / "ps1_corr2d" / "cursocnn" / "solutions.py"
    stray.write_text("x = 1\n")
    bn.main(["ps1_corr2d"])
    assert not stray.exists()
    assert bn.main(["--check", "ps1_corr2d"]) == 0
    # the perfect example must be a real file: a link to the notebook is drift, and the build
    # replaces it with the notebook's content
    example = tmp_path / "examples" / "ps1_corr2d" / "perfecta.ipynb"
    assert example.read_text(encoding="utf-8") == nb_path.read_text(encoding="utf-8")
    example.unlink()
    example.symlink_to(nb_path)
    assert bn.main(["--check", "ps1_corr2d"]) == 1
    bn.main(["ps1_corr2d"])
    assert not example.is_symlink() and example.read_text(encoding="utf-8") == nb_path.read_text(encoding="utf-8")
    capsys.readouterr()


@pytest.mark.parametrize("assignment", IDS)
def test_perfect_example_is_a_real_copy_of_the_source_notebook(assignment):
    example = ROOT / "examples" / assignment / "perfecta.ipynb"
    assert example.is_file() and not example.is_symlink()
    assert example.read_bytes() == (ASSIGNMENTS_DIR / "source" / assignment / f"{assignment}.ipynb").read_bytes()


@pytest.mark.parametrize("assignment", IDS)
def test_notebook_metadata_is_valid_nbformat_and_nbgrader(assignment):
    from nbgrader.nbgraderformat import MetadataValidator
    nb = _read(assignment)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    MetadataValidator().validate_nb(nb)
    for cell in nb.cells:
        meta = _nbg(cell)
        assert "outputs" not in cell or cell.outputs == []
        if meta is None:
            continue
        assert meta["schema_version"] == 3
        assert set(meta) <= {"grade", "grade_id", "locked", "points", "schema_version", "solution", "task"}


@pytest.mark.parametrize("assignment", IDS)
def test_solution_and_given_cells_are_the_reference_source(assignment):
    refs = bn.reference_sources(assignment)
    kinds = bn.source_cells((ASSIGNMENTS_DIR / "notebooks" / f"{assignment}.py").read_text(encoding="utf-8"))
    nb = _read(assignment)
    assert len(nb.cells) == len(kinds)
    solved = set()
    for cell, rc in zip(nb.cells, kinds):
        if rc.kind in ("solution", "given"):
            assert cell.source == "\n\n\n".join(refs[n] for n in rc.names)
            ref_text = (ROOT / "reference" / f"{assignment}.py").read_text(encoding="utf-8")
            for name in rc.names:
                assert refs[name] in ref_text  # verbatim slice of the file
                assert refs[name].lstrip().startswith(("def ", "class ", "@"))
        if rc.kind == "solution":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert _nbg(cell)["solution"] and not _nbg(cell)["grade"] and not _nbg(cell)["locked"]
            solved.update(rc.names)
        if rc.kind == "given":
            assert "BEGIN SOLUTION" not in cell.source
            assert _nbg(cell)["locked"] and not _nbg(cell)["solution"]
    assert solved >= set(POINTS[assignment])


@pytest.mark.parametrize("assignment", IDS)
def test_grade_cells_call_the_hook_with_the_points_of_the_table(assignment):
    nb = _read(assignment)
    grade = {}
    for cell in nb.cells:
        meta = _nbg(cell)
        if meta and meta["grade"] and cell.cell_type == "code":
            obj = meta["grade_id"].removeprefix("test_")
            grade[obj] = meta["points"]
            assert meta["locked"] and not meta["solution"]
            assert cell.source == (
                "# Al validar (botón Validate o `nbgrader validate`) esta celda corre lo mismo que\n"
                f"# check({obj!r}); la nota la dan las pruebas ocultas del corrector.\n"
                "from cursocnn.selfcheck import validate\n"
                f"validate({obj!r})\n"
                "### BEGIN HIDDEN TESTS\n"
                "from autograder.nbgrader_hook import hidden_score\n"
                f"hidden_score({assignment!r}, {obj!r})\n"
                "### END HIDDEN TESTS")
    assert grade == POINTS[assignment]
    # each grade cell comes after the solution cell of its object
    order = [(_nbg(c) or {}).get("grade_id") for c in nb.cells]
    for obj in POINTS[assignment]:
        sol = next(i for i, c in enumerate(nb.cells)
                   if (_nbg(c) or {}).get("solution")
                   and (f"def {obj}(" in c.source or f"class {obj}(" in c.source))
        assert sol < order.index(f"test_{obj}")


@pytest.mark.parametrize("assignment", IDS)
def test_kit_links_are_relative_file_symlinks(assignment):
    kit = ASSIGNMENTS_DIR / "source" / assignment / "cursocnn"
    assert not kit.is_symlink(), "nbgrader does not follow directory symlinks: link the files"
    names = sorted(p.name for p in (ASSIGNMENTS_DIR / "cursocnn").glob("*.py"))
    assert "__init__.py" in names and "plots.py" in names
    assert sorted(p.name for p in kit.iterdir() if p.name != "__pycache__") == names
    for name in names:
        link = kit / name
        assert link.is_symlink()
        assert os.readlink(link) == f"../../../cursocnn/{name}"
        assert link.resolve() == (ASSIGNMENTS_DIR / "cursocnn" / name).resolve()


# ------------------------------------------------------------------------------- the format

SMALL = '''# header comment, ignored
# %% [markdown]
# # Título
#
# Texto con **negrita**.

# %% setup
import torch

# %% solution corr2d

# %% visible corr2d
assert corr2d(torch.ones(2, 2), torch.ones(1, 1)).shape == (2, 2)

# %% grade corr2d

# %% solution conv2d_strict learn_kernel

# %% grade conv2d_strict

# %% grade learn_kernel

# %%
print("demo")

# %% [markdown] answer pregunta 2
'''


def test_small_source_builds_the_expected_cells():
    nb = bn.build_notebook("ps1_corr2d", SMALL)
    kinds = [(c.cell_type, (_nbg(c) or {}).get("grade_id")) for c in nb.cells]
    assert kinds == [("markdown", None), ("code", "setup"), ("code", "sol_corr2d"), ("code", "visible_corr2d"),
                     ("code", "test_corr2d"), ("code", "sol_conv2d_strict"), ("code", "test_conv2d_strict"),
                     ("code", "test_learn_kernel"), ("code", None), ("markdown", "answer_pregunta")]
    assert nb.cells[0].source == "# Título\n\nTexto con **negrita**."
    assert nb.cells[1].source == "import torch"
    refs = bn.reference_sources("ps1_corr2d")
    assert nb.cells[5].source == refs["conv2d_strict"] + "\n\n\n" + refs["learn_kernel"]
    answer = _nbg(nb.cells[-1])
    assert answer["grade"] and answer["solution"] and answer["points"] == 2.0
    assert [_nbg(nb.cells[i])["points"] for i in (4, 6, 7)] == [10, 4, 6]
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    # deterministic: building twice gives the same text
    assert bn.render(nb) == bn.render(bn.build_notebook("ps1_corr2d", SMALL))


@pytest.mark.parametrize("mutation, message", [
    (lambda s: s.replace("# %% solution corr2d\n", "# %% solution corr2d\nx = 1\n"), "leave it empty"),
    (lambda s: s.replace("# %% grade learn_kernel\n", ""), "no grade cell"),
    (lambda s: s.replace("# %% grade corr2d\n", "# %% grade corr2d\n\n# %% grade corr2d\n"), "two grade cells"),
    (lambda s: s.replace("# %% grade learn_kernel", "# %% grade lenet"), "not graded"),
    (lambda s: s.replace("# %% solution corr2d", "# %% solution nothing_here"), "does not define"),
    (lambda s: s.replace("# %% setup", "# %% setpu"), "unknown cell directive"),
    (lambda s: s.replace("# %% setup", "# %% [raw]"), "raw cells are not supported"),
    (lambda s: s.replace("# %% [markdown] answer pregunta 2", "# %% [markdown] pregunta"),
     "expected '# %% answer NAME"),
    (lambda s: s.replace("# %% visible corr2d", "# %% visible"), "needs at least one name"),
    (lambda s: s.replace("# %% solution conv2d_strict learn_kernel", "# %% solution conv2d_strict"),
     "no solution cell"),
])
def test_format_errors_are_reported(mutation, message):
    with pytest.raises(bn.FormatError, match=message):
        bn.build_notebook("ps1_corr2d", mutation(SMALL))


@pytest.mark.parametrize("assignment", IDS)
def test_source_saved_by_jupytext_builds_the_same_notebook(assignment):
    """An instructor who opens notebooks/<id>.py in Jupyter (jupytext) and saves it gets the file
    back in jupytext's own layout (a '# %%' before the authors' note, '[markdown]' after the
    title...): the built notebook does not change."""
    import jupytext

    text = (ASSIGNMENTS_DIR / "notebooks" / f"{assignment}.py").read_text(encoding="utf-8")
    saved = jupytext.writes(jupytext.reads(text, fmt="py:percent"), fmt="py:percent")
    if not text.startswith("# %%"):  # the authors' note became a comment-only cell
        assert saved.startswith("# %%\n# ") and saved != text
    assert bn.render(bn.build_notebook(assignment, saved)) == bn.render(bn.build_notebook(assignment, text))


def test_answer_cell_in_jupytext_layout():
    src = SMALL.replace("# %% [markdown] answer pregunta 2", "# %% answer pregunta 2 [markdown]")
    assert bn.render(bn.build_notebook("ps1_corr2d", src)) == bn.render(bn.build_notebook("ps1_corr2d", SMALL))


def test_given_cells_refuse_solution_code():
    src = SMALL.replace("# %% setup\n", "# %% given corr2d\n\n# %% setup\n")
    with pytest.raises(bn.FormatError, match="solution markers"):
        bn.build_notebook("ps1_corr2d", src)


def test_nbgrader_config_declares_the_course(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the config sets CNN_QUICK for nbgrader runs
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(ASSIGNMENTS_DIR)).load_config()
    assert cfg.CourseDirectory.course_id == "cnn-humai"
    assert cfg.CourseDirectory.root == str(ASSIGNMENTS_DIR)
    assert cfg.CourseDirectory.db_url.endswith("assignments/gradebook.db")
    assert {"__pycache__", ".ipynb_checkpoints"} <= set(cfg.CourseDirectory.ignore)
    ns = {"get_config": lambda: cfg, "__file__": str(ASSIGNMENTS_DIR / "nbgrader_config.py")}
    exec(compile((ASSIGNMENTS_DIR / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), ns)
    assert ns["ASSIGNMENTS"] == list(POINTS)
    assert os.environ["CNN_QUICK"] in ("1", os.environ.get("CNN_QUICK"))
    assert cfg.ClearSolutions.code_stub["python"].endswith("raise NotImplementedError()")


@pytest.mark.slow
def test_copied_course_folder_says_what_it_needs(tmp_path):
    """assignments/ copied elsewhere without reference/: one clear line, then --reference works."""
    import shutil

    course = tmp_path / "curso"
    shutil.copytree(ASSIGNMENTS_DIR, course, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=f"{ROOT}:{ROOT / 'assignments'}")
    proc = subprocess.run([sys.executable, "build_notebooks.py", "ps1_corr2d"], cwd=course,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "ps1_corr2d.py" in lines[0] and "--reference" in lines[0] and "reference/" in lines[0]
    proc = subprocess.run([sys.executable, "build_notebooks.py", "--check", "--reference",
                           str(ROOT / "reference"), "ps1_corr2d"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date" in proc.stdout
