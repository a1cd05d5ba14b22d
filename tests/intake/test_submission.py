"""load_submission on tests/corpus/bad_inputs/, and loading such submissions into a Session."""
import warnings
from pathlib import Path

import pytest
import torch

from autograder.intake.submission import load_submission, strip_ipython
from autograder.sandbox import Session
from autograder.text.student_notes import note_text

torch.set_num_threads(1)

BAD = Path(__file__).resolve().parents[1] / "corpus" / "bad_inputs"
X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
EXPECTED = torch.tensor([[19.0, 25.0], [37.0, 43.0]])


def text(sub):
    return "\n".join(sub.notes)


def session(sub):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Session(sub.cells, "ps1_corr2d")


@pytest.mark.parametrize("name, words", [
    ("invalid_json.ipynb", "JSON"),
    ("empty.ipynb", "vacío"),
    ("empty.py", "vacío"),
    ("nothing_gradable", "no contiene"),
    ("no_existe.ipynb", "No se encontró"),
])
def test_fatal_inputs_give_a_spanish_message(name, words):
    sub = load_submission(BAD / name)
    assert sub.fatal is not None and words in sub.fatal
    assert sub.cells == []


def test_notes_and_labels_follow_the_run_language():
    sub = load_submission(BAD / "syntax_error_cell.ipynb", lang="en")
    assert [cell[0] for cell in sub.cells][:2] == ["cell 2 (setup)", "cell 3 (corr2d)"]
    assert "cell 4 (conv2d_strict): syntax error (" in text(sub) and "sintaxis" not in text(sub)
    assert load_submission(BAD / "empty.py", lang="en").fatal == "The file “empty.py” is empty."
    assert load_submission(BAD / "empty.py").fatal == "El archivo «empty.py» está vacío."


def test_nbformat3_is_converted():
    sub = load_submission(BAD / "nbformat3.ipynb")
    assert sub.fatal is None and sub.kind == "ipynb"
    assert "v3" in text(sub)
    assert any("def corr2d" in cell[1] for cell in sub.cells)


def test_nbgrader_cells_and_syntax_error_cell():
    sub = load_submission(BAD / "syntax_error_cell.ipynb")
    assert sub.fatal is None
    labels = [cell[0] for cell in sub.cells]
    # the test cell is skipped; the cell the student added keeps only its definitions
    assert labels[:2] == ["celda 2 (setup)", "celda 3 (corr2d)"] and "celda 4 (conv2d_strict)" not in labels
    added = [cell for cell in sub.cells if len(cell) > 2]
    assert added and all(cell[2] == "definitions" for cell in added)
    assert any("def helper" in cell[1] for cell in added)
    notes = text(sub)
    assert "celda 4 (conv2d_strict)" in notes and "sintaxis" in notes


def test_magics_and_shell_lines_are_stripped():
    sub = load_submission(BAD / "magics.ipynb")
    assert sub.fatal is None
    joined = "\n".join(cell[1] for cell in sub.cells)
    assert "%" not in joined and "!" not in joined and "?" not in joined
    assert "for i in range(10**9)" not in joined  # the %%time cell is dropped entirely
    assert "def corr2d" in joined
    notes = text(sub)
    assert "%%" in notes and "terminal" in notes and "nbgrader" in notes


def test_strip_ipython_keeps_line_numbers():
    clean, removed = strip_ipython("a = 1\n  %time f()\n!ls\nb = 2\n")
    assert clean.splitlines() == ["a = 1", "  pass", "pass", "b = 2"]
    assert removed == ["magic", "shell"]
    assert strip_ipython("\n%%bash\nls\n") == (None, ["cell_magic"])


def test_latin1_py():
    sub = load_submission(BAD / "latin1.py")
    assert sub.fatal is None and "Latin-1" in text(sub)
    assert "señal" in sub.cells[0][1]


def test_odd_file_name_without_extension():
    sub = load_submission(BAD / "mi entrega ñandú")
    assert sub.fatal is None and sub.kind == "py"
    assert "no termina en .ipynb" in text(sub)


def test_same_stem_in_two_folders_picks_one_and_says_so():
    sub = load_submission(BAD / "same_stem", assignment="ps1_corr2d")
    assert sub.fatal is None and sub.kind == "folder:ipynb"
    assert sub.chosen.endswith("copia/ps1_corr2d.ipynb")
    assert "ps1_corr2d.py" in text(sub) and "copia/ps1_corr2d.ipynb" in text(sub)


def test_never_raises_on_garbage(tmp_path):
    for i, data in enumerate([b"\x00\xff\xfe garbage", b"{not json", b"[1, 2]", b'{"nbformat": 4}',
                              b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "x"}',
                              "def f(:\n".encode()]):
        p = tmp_path / f"f{i}.ipynb"
        p.write_bytes(data)
        sub = load_submission(p)
        assert isinstance(sub.fatal, str) and "cuaderno" in sub.fatal and sub.cells == []


# ------------------------------------------------------------------ into a Session

@pytest.mark.sandbox
def test_syntax_error_cell_only_loses_that_cell():
    sub = load_submission(BAD / "syntax_error_cell.ipynb")
    with session(sub) as s:
        assert "corr2d" in s.defined and "conv2d_strict" not in s.defined
        assert torch.equal(s.call("call_function", "corr2d", X, K), EXPECTED)


@pytest.mark.parametrize("name", ["latin1.py", "mi entrega ñandú", "magics.ipynb", "nbformat3.ipynb"])
@pytest.mark.sandbox
def test_odd_inputs_still_grade(name):
    sub = load_submission(BAD / name)
    with session(sub) as s:
        assert torch.equal(s.call("call_function", "corr2d", X, K), EXPECTED)
        if name == "latin1.py":
            assert s.call("call_function", "saludo") == "señal"


@pytest.mark.sandbox
def test_missing_functions_fail_per_call():
    sub = load_submission(BAD / "missing_functions.py")
    with session(sub) as s:
        assert s.defined == {"torch", "conv2d_strict"}
        with pytest.raises(Exception) as err:
            s.call("call_function", "corr2d", X, K)
        assert "corr2d" in str(err.value)
        with pytest.raises(Exception) as err:  # defined, but calls the missing corr2d
            s.call("call_function", "conv2d_strict", X, K)
        assert "NameError" in str(err.value)


@pytest.mark.sandbox
def test_demo_code_is_not_run():
    sub = load_submission(BAD / "demo_heavy.py")
    with session(sub) as s:
        assert {"corr2d", "X", "Y", "LR"} <= s.defined
        assert "lento" not in s.defined and "roto" not in s.defined
        codes = {code for code, _ in s.load_notes}
        assert {"timeout", "exec_error", "skipped"} <= codes
        skipped = " ".join(note_text("es", n) for n in s.load_notes if n[0] == "skipped")
        assert "bucle for" in skipped and "with" in skipped
        assert s.call("call_function", "corr2d", X, K).shape == (2, 2)


@pytest.mark.slow
def test_v4_notebooks_load_without_jupyter_packages():
    """GPU machines often have torch but no nbformat: the grading core still reads notebooks."""
    import subprocess
    import sys
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, *a):\n"
        "        if name.split('.')[0] in ('nbformat', 'nbgrader', 'nbclient', 'jupyter_client'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from autograder.intake.submission import load_submission\n"
        "sub = load_submission(sys.argv[1])\n"
        "assert sub.fatal is None, sub.fatal\n"
        "assert any('def corr2d' in cell[1] for cell in sub.cells)\n"
        "bad = load_submission(sys.argv[2])\n"
        "assert bad.fatal and 'JSON' in bad.fatal\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code, str(root / "assignments/source/ps1_corr2d/ps1_corr2d.ipynb"),
                        str(BAD / "invalid_json.ipynb")], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


# ---------------------------------------------------------------- reading notebooks without nbformat

NOTEBOOKS = sorted(p for d in (BAD.parent, BAD.parents[1].parent / "examples") for p in d.rglob("*.ipynb"))


@pytest.mark.slow
def test_a_v4_notebook_is_read_without_importing_nbformat():
    import subprocess
    import sys
    nb = BAD.parents[1].parent / "examples" / "ps1_corr2d" / "perfecta.ipynb"
    code = ("import sys; from autograder.intake.submission import load_submission; "
            f"s = load_submission({str(nb)!r}, 'ps1_corr2d'); "
            "print(len(s.cells), s.fatal, 'nbformat' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    cells, fatal, imported = r.stdout.split()
    assert int(cells) > 3 and fatal == "None" and imported == "False"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_plain_json_reading_matches_nbformat(path, monkeypatch):
    """Every notebook of the corpus and the examples reads the same with nbformat's reader."""
    pytest.importorskip("nbformat")
    from autograder.intake import submission
    fast = load_submission(path, "ps1_corr2d")
    monkeypatch.setattr(submission, "_plain_v4", lambda nb: False)
    slow = load_submission(path, "ps1_corr2d")
    assert (fast.cells, fast.notes, fast.fatal, fast.kind) == (slow.cells, slow.notes, slow.fatal, slow.kind)


@pytest.mark.parametrize("nb", [
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": ["x = 1\n", 2]}]},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "x = 1"}]},
    {"nbformat": 4, "nbformat_minor": 5, "cells": []},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [{"output_type": "stream", "text": [1]}]}]},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": "nada"}]},
    {"metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1"}]},
    [1, 2],
], ids=["source-not-text", "cell-without-metadata", "no-metadata", "output-text-not-text", "outputs-not-list",
        "no-version", "not-an-object"])
def test_odd_notebooks_go_through_nbformat(nb):
    """Shapes that nbformat's reader rejects (or reads as another version) never take the plain
    JSON path, so their messages stay nbformat's."""
    from autograder.intake import submission
    assert not submission._plain_v4(nb)
