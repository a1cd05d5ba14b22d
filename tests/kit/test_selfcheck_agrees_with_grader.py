"""The kit's self-check and the grader give the same "implement it yourself" verdict on every
corpus submission that uses a forbidden built-in (or hides one): tests/corpus/mutants/ files
marked `misconception: forbidden`, every tests/corpus/cheats/static/ and cheats/allowlist/ file;
and on every honest file (tests/corpus/honest/), where both must say "yours".

Each file is put in the student's notebook as a student would (the assignment's notebook, its
solution cells replaced by the file's code) and also as a plain one-cell notebook. For every
guarded function the notebook defines, the self-check's line (cursocnn.selfcheck.
implementation_lines) and the grader's static verdict (the cells autograder.suites.plugin
loads, analysed by the implementation_check module the plugin loads) must agree: the same
ok/not-ok and, when not ok, the same message. Two files also go through engine.grade.
"""
import copy
import json
import re
from pathlib import Path

import pytest

from autograder.grading import engine, scoring
from autograder.suites import implementation_rule, loading
from cursocnn import selfcheck

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"


def _fields(path):
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    return dict(re.findall(r"^(\w+): (.+)$", doc, re.M))


def _assignment(path):
    return _fields(path).get("assignment") or path.parent.name


FILES = sorted([p for p in (CORPUS / "mutants").rglob("*.py") if _fields(p).get("misconception") == "forbidden"]
               + list((CORPUS / "cheats" / "static").glob("*.py"))
               + list((CORPUS / "cheats" / "allowlist").glob("*.py"))
               + list((CORPUS / "honest").rglob("*.py")))


def _code_cell(source, nbgrader=None):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = nbgrader
    return cell


def _in_assignment_notebook(path):
    """The assignment's notebook with its first solution code cell holding the file's code and
    the other solution code cells emptied."""
    aid = _assignment(path)
    nb = json.loads((ROOT / "assignments" / "source" / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
    nb = copy.deepcopy(nb)
    solutions = [c for c in nb["cells"] if c.get("cell_type") == "code"
                 and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert solutions, aid
    for i, cell in enumerate(solutions):
        cell["source"] = path.read_text(encoding="utf-8") if i == 0 else ""
    return nb


def _plain_notebook(path):
    return {"cells": [_code_cell(path.read_text(encoding="utf-8"))], "metadata": {}, "nbformat": 4,
            "nbformat_minor": 5}


def _grader_verdicts(nb_path, aid):
    """{guarded function defined: verdict} as the grader's plugin decides them."""
    cells, _notes, fatal = loading.load_cells(str(nb_path), aid)
    assert fatal is None, fatal
    rule = implementation_rule.implementation_check()
    defined = rule.Analysis(cells).bound
    report, _seconds = rule.analyse_bounded(cells)  # what the plugin decides with
    return {n: report.verdict(n) for n in rule.GUARDED if n in defined}


def _selfcheck_lines(nb):
    """{guarded function: its self-check line}."""
    out = {}
    for line in selfcheck.implementation_lines(nb):
        m = re.match(rf"^(?:{selfcheck.OK} (\w+):|{selfcheck.FAIL} (?:No podemos verificar que )?(\w+) )", line)
        assert m, line
        out[m.group(1) or m.group(2)] = line
    return out


def _assert_agree(nb, nb_path, aid):
    lines = _selfcheck_lines(nb)
    verdicts = _grader_verdicts(nb_path, aid)
    assert set(lines) == set(verdicts) and verdicts, (lines, verdicts)
    for name, verdict in verdicts.items():
        line = lines[name]
        if verdict.ok:
            assert line.startswith(selfcheck.OK), (name, line)
        else:
            assert line == f"{selfcheck.FAIL} {verdict.message('es')}", (name, line)
    return verdicts


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}-{p.stem}" for p in FILES])
@pytest.mark.parametrize("layout", ["assignment", "plain"])
@pytest.mark.slow
def test_selfcheck_and_grader_agree(path, layout, tmp_path):
    aid = _assignment(path)
    nb = _in_assignment_notebook(path) if layout == "assignment" else _plain_notebook(path)
    nb_path = tmp_path / f"{aid}.ipynb"
    nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    verdicts = _assert_agree(nb, nb_path, aid)
    fields = _fields(path)
    if "honest" in path.parts:
        assert all(v.ok for v in verdicts.values()), verdicts
    elif fields.get("misconception") == "forbidden" or fields.get("expect") in ("forbidden", "unverifiable"):
        assert not verdicts[fields["target"]].ok   # the corpus file really trips the rule


def test_corpora_have_forbidden_builtin_files():
    assert len([p for p in FILES if "mutants" in p.parts]) >= 2
    assert len([p for p in FILES if "static" in p.parts]) >= 10


ENGINE_FILES = [CORPUS / "mutants" / "ps1_corr2d" / "corr2d_builtin.py",
                CORPUS / "cheats" / "static" / "ps4_star_import.py"]


@pytest.mark.slow
@pytest.mark.parametrize("path", ENGINE_FILES, ids=[p.stem for p in ENGINE_FILES])
@pytest.mark.sandbox
def test_engine_fails_exactly_what_the_selfcheck_refuses(path, tmp_path):
    aid = _assignment(path)
    nb = _in_assignment_notebook(path)
    nb_path = tmp_path / f"{aid}.ipynb"
    nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    lines = _selfcheck_lines(nb)
    result = engine.grade(str(nb_path), aid, lang="es", device="cpu")
    assert result["extra_data"]["grader_error"] is False, result
    by_object = {}
    for t in result["tests"]:
        by_object.setdefault(t["name"].split(":", 1)[0], []).append(t)
    lines = {n: line for n, line in lines.items() if n in scoring.POINTS[aid]}   # graded here
    refused = {n for n, line in lines.items() if line.startswith(selfcheck.FAIL)}
    assert refused
    for name, line in lines.items():
        tests = by_object[name]
        message = line[len(selfcheck.FAIL) + 1:]
        if name in refused:
            assert sum(t["score"] for t in tests) == 0, tests
            assert all(message in t["output"] for t in tests), (message, [t["output"] for t in tests])
        else:
            assert sum(t["score"] for t in tests) == scoring.POINTS[aid][name], [t["output"] for t in tests]
