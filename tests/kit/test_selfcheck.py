"""Students' self-check (assignments/cursocnn/selfcheck.py): the public tests are the notebook's
visible test cells, run from the notebook (check) or from a terminal (python -m / pytest)."""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cursocnn import selfcheck
from reference import ps1_corr2d as ref

REPO = Path(__file__).resolve().parents[2]
AID = "ps1_corr2d"
SOURCE_NB = REPO / "assignments" / "source" / AID / f"{AID}.ipynb"

pytestmark = pytest.mark.skipif(not SOURCE_NB.is_file(), reason="no ps1 source notebook yet")


def _stubbed(nb: dict, keep=()) -> dict:
    """What nbgrader's ClearSolutions does to solution cells (except the grade_ids in keep)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code" and meta.get("grade_id") not in keep:
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                                    r"\1raise NotImplementedError()", src, flags=re.S)
    return nb


@pytest.fixture
def assignment_dir(tmp_path):
    """A released assignment folder: the notebook and the kit as real files."""
    shutil.copytree(REPO / "assignments" / "cursocnn", tmp_path / "cursocnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _write(folder: Path, nb: dict, name=f"{AID}.ipynb") -> Path:
    path = folder / name
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def _source_nb() -> dict:
    return json.loads(SOURCE_NB.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ from the notebook

def test_public_checks_are_the_visible_cells():
    nb = _source_nb()
    cells = selfcheck.visible_cells(nb)
    visible = [c for c in nb["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("visible_")]
    assert [gid for _, gid, _ in cells] == [c["metadata"]["nbgrader"]["grade_id"] for c in visible]
    assert {obj for obj, _, _ in cells} <= {"corr2d", "conv2d_strict", "learn_kernel"}
    assert selfcheck.visible_cells(nb, "corr2d")


def test_check_passes_with_the_reference(capsys):
    ns = {"torch": torch, "nn": torch.nn, "corr2d": ref.corr2d}
    results = selfcheck.run_public_checks("corr2d", ns, SOURCE_NB)
    assert results and all(r["ok"] for r in results)
    assert set(ns) == {"torch", "nn", "corr2d"}          # the caller's variables are left alone


def test_check_reports_a_wrong_function_in_spanish(capsys):
    def corr2d(X, K):            # wrong: the transposed result
        return ref.corr2d(X, K).t()
    ns = {"torch": torch, "nn": torch.nn, "corr2d": corr2d}
    results = selfcheck.run_public_checks("corr2d", ns, SOURCE_NB)
    assert not all(r["ok"] for r in results)
    msg = next(r["message"] for r in results if not r["ok"])
    assert msg and "Traceback" not in msg


def test_check_prints_friendly_messages(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _source_nb())

    def corr2d(X, K):
        raise NotImplementedError()
    g = {"torch": torch, "nn": torch.nn, "corr2d": corr2d}
    exec("check('corr2d')", {**g, "check": selfcheck.check})   # as a notebook cell would
    out = capsys.readouterr().out
    assert "✘ corr2d" in out and "todavía no está implementada" in out

    exec("check('corr2d')", {"torch": torch, "check": selfcheck.check})
    out = capsys.readouterr().out
    assert "✘ corr2d" in out and "Ejecutaste la celda" in out

    exec("check('corr2d')", {"torch": torch, "nn": torch.nn, "corr2d": ref.corr2d, "check": selfcheck.check})
    out = capsys.readouterr().out
    assert "✔ corr2d" in out and "✘" not in out

    exec("check('no_existe')", {"check": selfcheck.check})
    assert "✘" in capsys.readouterr().out


# ------------------------------------------------------------------ from a terminal

def _run(args, cwd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CURSOCNN_NOTEBOOK")}
    return subprocess.run([sys.executable, *args], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_terminal_selfcheck(assignment_dir):
    nb = _stubbed(_source_nb(), keep={"sol_corr2d"})
    # a demo cell that must not run from the terminal
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": "import pathlib\npathlib.Path('demo_ran.txt').write_text('x')\n"
                                  "def ayudante():\n    return 1"})
    _write(assignment_dir, nb)
    proc = _run(["-m", "cursocnn.selfcheck"], assignment_dir)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "✔ corr2d" in out
    assert "✘ conv2d_strict" in out and "todavía no está implementada" in out
    assert "Traceback" not in out
    assert not (assignment_dir / "demo_ran.txt").exists()

    _write(assignment_dir, _source_nb())
    proc = _run(["-m", "cursocnn.selfcheck", f"{AID}.ipynb"], assignment_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✘" not in proc.stdout and "Todo bien" in proc.stdout


@pytest.mark.slow
def test_pytest_selfcheck(assignment_dir):
    _write(assignment_dir, _stubbed(_source_nb(), keep={"sol_corr2d", "sol_conv2d_strict"}))
    proc = _run(["-m", "pytest", "-v", "-p", "no:cacheprovider", "cursocnn/selfcheck.py"], assignment_dir)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert re.search(r"\[visible_corr2d\] PASSED", out)
    assert re.search(r"\[visible_learn_kernel[^\]]*\] FAILED", out)
    assert "todavía no está implementada" in out


# ------------------------------------------------------------------ names, messages, demo cells

def test_unknown_name_lists_the_valid_names_with_a_suggestion(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _source_nb())
    exec("check('corr2D')", {"check": selfcheck.check})
    out = capsys.readouterr().out
    assert "✘" in out and "¿Quisiste decir `corr2d`?" in out
    assert "`corr2d`, `learn_kernel`, `conv2d_strict`" in out          # notebook order
    assert "No encuentro el cuaderno" not in out
    exec("check('lenet')", {"check": selfcheck.check})           # another assignment's name
    out = capsys.readouterr().out
    assert "`lenet` no tiene pruebas públicas en ps1_corr2d.ipynb" in out and "Quisiste" not in out
    assert "`learn_kernel`" in out


def test_missing_definition_message_fits_where_it_runs():
    exc = NameError("name 'corr2d' is not defined")
    in_notebook = selfcheck._explain(exc, "corr2d", "notebook")
    in_terminal = selfcheck._explain(exc, "corr2d", "terminal")
    assert "Ejecutaste la celda" in in_notebook
    assert "celda de solución de `corr2d`" in in_terminal and "guarda el cuaderno" in in_terminal
    assert "Ejecutaste" not in in_terminal and "ejecuta" not in in_terminal.lower()


def test_repeated_failures_of_an_object_are_summarised(capsys):
    msg = "`corr2d` todavía no está implementada: ..."
    results = [{"name": "corr2d", "cell": "visible_corr2d", "ok": False, "message": msg},
               {"name": "corr2d", "cell": "visible_corr2d_2", "ok": False, "message": msg},
               {"name": "learn_kernel", "cell": "visible_learn_kernel", "ok": False, "message": msg}]
    selfcheck._report(results)
    out = capsys.readouterr().out
    assert out.count("todavía no está implementada") == 2
    assert "✘ corr2d (visible_corr2d_2): el mismo problema de arriba." in out


@pytest.mark.slow
def test_terminal_selfcheck_of_a_correct_ps5_notebook_is_quiet(assignment_dir):
    """ps5's demo cells define helpers that need demo variables (fit(model, epochs=EPOCHS)):
    the terminal self-check must not warn about them."""
    ps5 = REPO / "assignments" / "source" / "ps5_lenet" / "ps5_lenet.ipynb"
    shutil.copy(ps5, assignment_dir / "ps5_lenet.ipynb")
    proc = _run(["-m", "cursocnn.selfcheck", "ps5_lenet.ipynb"], assignment_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Todo bien" in proc.stdout
    for alarm in ("Aviso", "NameError", "EPOCHS", "Nota:"):
        assert alarm not in proc.stdout, proc.stdout


@pytest.mark.slow
def test_terminal_selfcheck_names_the_saved_notebook_not_running_cells(assignment_dir):
    nb = _source_nb()
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "sol_corr2d":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = src.replace("def corr2d(", "def corr2d_mio(")
    _write(assignment_dir, nb)
    proc = _run(["-m", "cursocnn.selfcheck"], assignment_dir)
    assert proc.returncode == 1
    assert "✘ corr2d" in proc.stdout and "guarda el cuaderno" in proc.stdout
    assert "Ejecutaste la celda" not in proc.stdout


def test_skipped_demo_definitions_are_mentioned_only_when_a_test_fails(capsys):
    skipped = ["celda 30: NameError: name 'EPOCHS' is not defined"]
    selfcheck._demo_note({"results": [{"ok": True}], "demo_skipped": skipped})
    assert capsys.readouterr().out == ""
    selfcheck._demo_note({"results": [{"ok": False}], "demo_skipped": skipped})
    out = capsys.readouterr().out
    assert out.startswith("\nNota:") and "EPOCHS" in out and "Aviso" not in out


# ------------------------------------------------------------------ untouched stubs, nbgrader's Validate

def _stub_namespace(nb: dict) -> dict:
    ns = {"__name__": "__main__"}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            exec("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"], ns)
    return ns


def test_check_gives_no_checkmark_to_an_unimplemented_function(capsys, monkeypatch, tmp_path):
    """An untouched notebook: every function says "todavía no está implementada" and none gets
    "✔ ...: la implementación es tuya" (a stub is not an implementation)."""
    monkeypatch.chdir(tmp_path)
    nb = _stubbed(_source_nb())
    _write(tmp_path, nb)
    exec("check()", {**_stub_namespace(nb), "check": selfcheck.check})
    out = capsys.readouterr().out
    assert out.count("todavía no está implementada") == 3
    assert "la implementación es tuya" not in out and "✔" not in out
    assert selfcheck.unimplemented(nb) == {"corr2d", "conv2d_strict", "learn_kernel"}
    # once corr2d is written, its review line comes back
    solved = _stubbed(_source_nb(), keep={"sol_corr2d"})
    _write(tmp_path, solved)
    exec("check('corr2d')", {**_stub_namespace(solved), "check": selfcheck.check})
    assert "✔ corr2d: la implementación es tuya" in capsys.readouterr().out


def test_validate_acts_only_under_nbgrader_validate(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    nb = _stubbed(_source_nb())
    _write(tmp_path, nb)
    ns = {**_stub_namespace(nb), "validate": selfcheck.validate}
    for mode in (None, "autograde"):          # running the notebook, nbgrader autograde: nothing
        if mode:
            monkeypatch.setenv("NBGRADER_EXECUTION", mode)
        else:
            monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
        exec("validate('corr2d')", ns)
        assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    exec("validate('corr2d')", ns)                          # a stub: the failure goes to stderr
    out, err = capsys.readouterr()
    assert not out and "✘ corr2d" in err and "todavía no está implementada" in err
    assert all(len(line) <= 80 for line in err.splitlines())  # nbgrader cuts lines at 90 columns
    exec("validate('corr2d')", {"torch": torch, "nn": torch.nn, "corr2d": ref.corr2d,
                                "validate": selfcheck.validate})
    out, err = capsys.readouterr()
    assert not err and "✔ corr2d" in out


def test_validate_reads_the_notebook_the_kernel_runs(monkeypatch, tmp_path):
    """Two notebooks with the same public tests in the folder: the review reads the one whose
    cells the kernel ran (IPython's In), not merely the one saved last."""
    monkeypatch.chdir(tmp_path)
    solved = _source_nb()
    stub = _stubbed(_source_nb())
    _write(tmp_path, solved, "mio.ipynb")
    _write(tmp_path, stub, "copia.ipynb")                       # saved last
    history = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in solved["cells"] if c["cell_type"] == "code"]
    assert selfcheck._notebook_for_kernel("corr2d", {"In": [""] + history}).name == "mio.ipynb"
    assert selfcheck._notebook_for_kernel("corr2d", {}).name == "copia.ipynb"
