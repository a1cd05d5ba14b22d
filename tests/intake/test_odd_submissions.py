"""Submissions where nothing could be graded say why at the top of results.json (what Gradescope
and the class page show first), in the student's language, naming what was expected; a notebook
made large by its outputs is graded as usual (autograder/grading/graded_summary.py,
autograder/intake/notebook_outputs.py)."""
import base64
import json
import os
from pathlib import Path

import pytest

from autograder.grading import engine, scoring
from autograder.intake.notebook_outputs import NOTEBOOK_MAX_BYTES
from autograder.intake.submission import MAX_FILE_BYTES, load_submission

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "corpus" / "bad_inputs"


@pytest.mark.parametrize("lang,words", [("es", "Se esperaba: corr2d(X, K), conv2d_strict(X, K), "
                                                "learn_kernel(X, Y, kernel_size, lr=0.03, num_iters=10)"),
                                        ("en", "Expected: corr2d(X, K), conv2d_strict(X, K), "
                                                "learn_kernel(X, Y, kernel_size, lr=0.03, num_iters=10)")])
@pytest.mark.sandbox
def test_no_graded_name_is_said_at_the_top(lang, words):
    result = engine.grade(str(BAD / "no_graded_names.py"), "ps1_corr2d", lang=lang)
    assert result["score"] == 0 and result["extra_data"]["grader_error"] is False
    assert words in result["output"], result["output"]
    assert ("ninguna de las funciones" if lang == "es" else "defines none of") in result["output"]


@pytest.mark.sandbox
def test_wrong_signatures_are_said_at_the_top():
    result = engine.grade(str(BAD / "wrong_signatures.py"), "ps1_corr2d")
    assert result["score"] == 0
    out = result["output"]
    assert ("Encontramos corr2d(pair), conv2d_strict(pair), "
            "learn_kernel(data, kernel_size, lr, num_iters, verbose)") in out
    assert "Se esperaba: corr2d(X, K)" in out


@pytest.mark.sandbox
def test_graded_work_keeps_an_empty_headline():
    """Only "nothing could be tried" gets a headline: wrong answers and untouched stubs are
    explained test by test."""
    for name in ("con_errores.py", "sin_resolver.ipynb"):
        result = engine.grade(str(ROOT / "examples" / "ps1_corr2d" / name), "ps1_corr2d")
        assert result["score"] < result["max_score"] and result["output"] == "", (name, result["output"])


def _notebook_with_outputs(path, megabytes):
    source = (ROOT / "reference" / "ps1_corr2d.py").read_text(encoding="utf-8")
    image = base64.b64encode(os.urandom(3 << 20)).decode()  # 4 MB of "plot" per output
    outputs = [{"output_type": "display_data", "data": {"image/png": image, "text/plain": "<Figure>"},
                "metadata": {}}] * (megabytes // 4)
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1, "source": source,
                     "outputs": outputs, "id": "a1"}]}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.mark.sandbox
def test_a_notebook_large_because_of_its_outputs_is_graded(tmp_path):
    path = _notebook_with_outputs(tmp_path / "ps1_corr2d.ipynb", 24)
    assert MAX_FILE_BYTES < path.stat().st_size < NOTEBOOK_MAX_BYTES
    result = engine.grade(str(path), "ps1_corr2d")
    assert result["score"] == scoring.max_score("ps1_corr2d"), result["tests"]


@pytest.mark.sandbox
def test_notebook_limits(tmp_path):
    big = _notebook_with_outputs(tmp_path / "big.ipynb", 96)
    sub = load_submission(str(big))
    assert sub.fatal is None and len(sub.cells) == 1
    too_big = _notebook_with_outputs(tmp_path / "too_big.ipynb", 104)
    assert "demasiado grande" in load_submission(str(too_big)).fatal
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b'{"cells": [' + b" " * (MAX_FILE_BYTES + 10))
    assert "no es un .ipynb válido" in load_submission(str(broken)).fatal
    code = tmp_path / "huge.py"
    code.write_bytes(b"x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
    assert "demasiado grande" in load_submission(str(code)).fatal


def test_one_submission_is_said_in_the_singular():
    from types import SimpleNamespace

    from autograder.grading import score_table as report

    for lang, words in (("es", "1 entrega: calificada ahora. Resultados en /out"),
                        ("en", "1 submission: graded now. Results in /out")):
        assert report.summary([SimpleNamespace(state="graded")], "/out", lang) == words
    two = [SimpleNamespace(state="graded"), SimpleNamespace(state="resumed")]
    assert report.summary(two, "/out", "en").startswith("2 submissions: 1 graded now, 1 graded before")
