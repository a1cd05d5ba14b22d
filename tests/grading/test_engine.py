"""engine.grade (in process), results.py (schema, atomic writes, names, resume), discovery."""
import json
import os
import sys
from pathlib import Path

import pytest

from autograder.grading import batch, engine, result_files, results, scoring

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ps1_corr2d"

BUG_PLUGIN = '''
import pytest
def pytest_addoption(parser):
    for name in ("--submission", "--assignment", "--lang", "--device"):
        parser.addoption(name, default=None)
'''
BUG_SUITE = '''
from autograder.text.i18n import N_
from autograder.suites import graded

# titles from the catalogue (the ps1 suite's), so the English run has English names

@graded("corr2d", points=10, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
def test_ok():
    pass

@graded("conv2d_strict", points=4, title=N_("entradas y kernels aleatorios no cuadrados"))
def test_fails():
    assert False, "mensaje para el estudiante"

@graded("learn_kernel", points=6, title=N_("aprende [[1, -1]] en el ejemplo de los bordes"))
def test_bug():
    SECRET_SOURCE_LINE = {}["clave secreta"]
'''
# BUG_SUITE's test names: (Spanish, English)
OK = ("corr2d: ejemplo del curso (X 3x3, K 2x2)", "corr2d: the course's example (X 3x3, K 2x2)")
FAILS = ("conv2d_strict: entradas y kernels aleatorios no cuadrados",
         "conv2d_strict: random non-square inputs and kernels")
BUG = ("learn_kernel: aprende [[1, -1]] en el ejemplo de los bordes",
       "learn_kernel: learns [[1, -1]] on the edge example")


@pytest.fixture
def bug_suite(tmp_path, monkeypatch):
    d = tmp_path / "suite"
    (d / "ps1_corr2d").mkdir(parents=True)
    (d / "bugplug.py").write_text(BUG_PLUGIN)
    (d / "ps1_corr2d" / "test_ps1_corr2d.py").write_text(BUG_SUITE)
    monkeypatch.syspath_prepend(str(d))
    monkeypatch.delitem(sys.modules, "test_ps1_corr2d", raising=False)  # another test's copy
    monkeypatch.setattr(engine, "SUITES_DIR", str(d))
    monkeypatch.setattr(engine, "PLUGIN", "bugplug")
    return d


# ---------------------------------------------------------------- engine

@pytest.mark.slow
@pytest.mark.sandbox
def test_perfect_example_gets_full_marks_with_a_valid_schema():
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d")
    assert results.validate(res) == []
    assert res["score"] == res["max_score"] == scoring.max_score("ps1_corr2d")
    assert res["extra_data"]["grader_error"] is False
    per_object = {}
    for t in res["tests"]:
        obj = t["extra_data"]["object"]          # recorded with each test; titles begin with it
        assert obj in scoring.POINTS["ps1_corr2d"] and t["name"].startswith(obj + ": ")
        assert t["status"] == "passed" and t["visibility"] == "visible"
        per_object[obj] = per_object.get(obj, 0) + t["max_score"]
    assert per_object == scoring.POINTS["ps1_corr2d"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_mistakes_get_messages_without_test_source():
    res = engine.grade(EXAMPLES / "con_errores.py", "ps1_corr2d", lang="es")
    assert results.validate(res) == [] and res["extra_data"]["grader_error"] is False
    failed = [t for t in res["tests"] if t["status"] == "failed"]
    assert failed
    for t in failed:
        assert t["score"] == 0 and t["output"]
        for leak in ("def test_", "Traceback", "student.function", "check_tensor", ".py:"):
            assert leak not in t["output"], (t["name"], t["output"])


def test_unloadable_submission_gets_a_complete_failed_result(tmp_path):
    bad = tmp_path / "roto.ipynb"
    bad.write_text('{"cells": [')
    res = engine.grade(bad, "ps1_corr2d")
    assert results.validate(res) == []
    assert res["score"] == 0 and res["max_score"] == scoring.max_score("ps1_corr2d")
    assert sum(t["max_score"] for t in res["tests"]) == res["max_score"]
    assert all(t["status"] == "failed" and "roto.ipynb" in t["output"] for t in res["tests"])
    assert "No se pudo calificar" in res["output"]
    assert res["extra_data"]["grader_error"] is False and res["extra_data"]["loaded"] is False


def test_grader_bug_is_flagged_generic_for_the_student_and_logged(bug_suite, capfd):
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d", lang="es")
    assert results.validate(res) == []
    by_name = {t["name"]: t for t in res["tests"]}
    assert by_name[OK[0]]["status"] == "passed" and by_name[OK[0]]["score"] == 10
    assert by_name[FAILS[0]]["output"] == "mensaje para el estudiante"
    bug = by_name[BUG[0]]
    assert bug["status"] == "failed" and bug["output"] == engine.TEST_GRADER_FAILED
    assert bug["output"].startswith("Error interno del corrector en esta prueba")
    assert res["score"] == 10 and res["extra_data"]["grader_error"] is True
    dumped = json.dumps(res, ensure_ascii=False)
    assert "clave secreta" not in dumped and "SECRET_SOURCE_LINE" not in dumped
    assert "clave secreta" in capfd.readouterr().err


def test_english_titles_and_messages(bug_suite):
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d", lang="en")
    names = [t["name"] for t in res["tests"]]
    assert names == [OK[1], FAILS[1], BUG[1]]
    assert res["tests"][2]["output"].startswith("Internal grader error in this test")


def test_each_tests_object_comes_from_the_suites_record(bug_suite, monkeypatch):
    """The engine reads a test's graded object from the suites' record of it (plugin.item_info);
    only a record without one falls back to the title's prefix."""
    from autograder.suites import plugin
    real = plugin.item_info

    def record(item):
        info = real(item)
        if item.name == "test_ok":
            info["object"] = "learn_kernel"
        else:
            info.pop("object", None)
        return info
    monkeypatch.setattr(plugin, "item_info", record)
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d", lang="en")
    assert {t["name"]: t["extra_data"]["object"] for t in res["tests"]} == {
        OK[1]: "learn_kernel", FAILS[1]: "conv2d_strict", BUG[1]: "learn_kernel"}


PLUGIN_SUITE = '''
from autograder.text.i18n import N_
from autograder.suites import graded

@graded("corr2d", points=20, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
def test_no_costly_plugins(request):
    pm = request.config.pluginmanager
    loaded = [n for n in ("unraisableexception", "threadexception", "cacheprovider", "doctest",
                          "stepwise") if pm.has_plugin(n)]
    assert not loaded, "cargados: " + ", ".join(loaded)
    assert pm.has_plugin("junitxml"), "record_property (junitxml) hace falta"
'''


def test_in_process_runs_leave_out_the_plugins_that_only_cost_time(bug_suite):
    """unraisableexception and threadexception run full garbage collections over torch's heap
    at every session end (~0.3 s per submission); cacheprovider and friends serve no grade."""
    (bug_suite / "ps1_corr2d" / "test_ps1_corr2d.py").write_text(PLUGIN_SUITE)
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d")
    assert [t["status"] for t in res["tests"]] == ["passed"], res["tests"][0]["output"]


def test_missing_suite_and_unknown_assignment_never_raise(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "SUITES_DIR", str(tmp_path))
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d")
    assert results.validate(res) == [] and res["extra_data"]["grader_error"] is True
    assert res["max_score"] == 20 and sum(t["max_score"] for t in res["tests"]) == 20
    assert [t["extra_data"]["object"] for t in res["tests"]] == list(scoring.POINTS["ps1_corr2d"])
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps9_nope")
    assert res["extra_data"]["grader_error"] is True and res["score"] == 0


def test_loader_exception_does_not_escape(monkeypatch):
    import autograder.intake.submission as submission

    def boom(*a, **k):
        raise RuntimeError("loader bug")
    monkeypatch.setattr(submission, "load_submission", boom)
    res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d")
    assert res["extra_data"]["grader_error"] is True and results.validate(res) == []
    assert "loader bug" not in json.dumps(res)


# ---------------------------------------------------------------- results.py

def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path, monkeypatch):
    target = tmp_path / "r" / "results.json"
    result_files.write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    with pytest.raises(TypeError):
        result_files.write_json_atomic(target, {"a": object()})  # fails mid-write
    assert json.loads(target.read_text()) == {"a": 1}
    calls = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: (calls.append((s, d)), real_replace(s, d)))
    result_files.write_json_atomic(target, {"a": 2})
    assert calls and Path(calls[0][0]).parent == target.parent and Path(calls[0][1]) == target
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_validate_rejects_broken_results():
    good = {"score": 1, "max_score": 2, "output": "", "execution_time": 0.1,
            "tests": [{"name": "a: x", "score": 1, "max_score": 1, "status": "passed", "output": "",
                       "visibility": "visible"}]}
    assert results.validate(good) == []
    assert results.validate({**good, "score": 2})  # not the sum
    assert results.validate({**good, "tests": good["tests"] * 2})  # duplicate names
    assert results.validate({k: v for k, v in good.items() if k != "tests"})


def test_names_unique_deterministic_and_stable(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    items = [(str(tmp_path / "b" / "x.py"), "x"), (str(tmp_path / "a" / "x.py"), "x"),
             (str(tmp_path / "X.py"), "X"), (str(tmp_path / "y y.py"), "y y")]
    names = result_files.assign_names(items, out)
    assert len({n.casefold() for n in names}) == 4
    # in order of path: X.py takes "X", so both x.py (same name, case aside) get hashed names
    assert names[2] == "X" and names[0].startswith("x-") and names[1].startswith("x-")
    assert names[3] == "y_y"
    assert result_files.assign_names(list(reversed(items)), out) == list(reversed(names))
    # once a folder is claimed, that source keeps it whatever else is graded
    result_files.claim(out / names[0], items[0][0], "ps1_corr2d", "es", "h")
    assert result_files.assign_names([items[0]], out) == [names[0]]
    # a folder owned by another source, or a foreign non-empty folder, is never reused
    result_files.claim(out / "z", str(tmp_path / "elsewhere" / "z.py"), "ps1_corr2d", "es", "h")
    (out / "w").mkdir()
    (out / "w" / "notes.txt").write_text("mine")
    z, w = result_files.assign_names([(str(tmp_path / "z.py"), "z"), (str(tmp_path / "w.py"), "w")], out)
    assert z.startswith("z-") and w.startswith("w-")


def test_resume_needs_same_source_content_assignment_language(tmp_path):
    src = tmp_path / "s.py"
    src.write_text("x = 1\n")
    folder = tmp_path / "out" / "s"
    res = {"score": 0, "max_score": 20, "output": "", "execution_time": 0.0, "tests": [],
           "extra_data": {"grader_error": False}}
    result_files.claim(folder, src, "ps1_corr2d", "es", result_files.source_hash(src))
    assert result_files.load_complete(folder, src, "ps1_corr2d", "es") is None  # pending
    result_files.store(folder, src, "ps1_corr2d", "es", res)
    assert result_files.load_complete(folder, src, "ps1_corr2d", "es") == res
    assert result_files.load_complete(folder, src, "ps1_corr2d", "en") is None
    assert result_files.load_complete(folder, src, "ps2_conv2d", "es") is None
    src.write_text("x = 2\n")
    assert result_files.load_complete(folder, src, "ps1_corr2d", "es") is None
    result_files.store(folder, src, "ps1_corr2d", "es", {**res, "extra_data": {"grader_error": True}})
    assert result_files.load_complete(folder, src, "ps1_corr2d", "es") is None


# ---------------------------------------------------------------- discovery

def test_discovery_rules(tmp_path):
    def touch(rel):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
        return p

    touch("alumna/ps1_corr2d.ipynb")
    touch("alumna/notas.py")
    touch("alumna/cursocnn/__init__.py")
    assert batch.discover_all([tmp_path / "alumna"], "ps1_corr2d") == [(str(tmp_path / "alumna"), "alumna")]
    touch("submitted/ana/ps1_corr2d/ps1_corr2d.ipynb")
    touch("submitted/beto/ps1_corr2d/ps1_corr2d.ipynb")
    touch("submitted/.ipynb_checkpoints/x.ipynb")
    assert batch.discover_all([tmp_path / "submitted"], "ps1_corr2d") == [
        (str(tmp_path / "submitted/ana/ps1_corr2d"), "ana"),
        (str(tmp_path / "submitted/beto/ps1_corr2d"), "beto")]
    touch("lote/a.py")
    touch("lote/b.ipynb")
    touch("lote/c/solo.py")
    found = batch.discover_all([tmp_path / "lote", tmp_path / "lote" / "a.py"], "ps1_corr2d")
    assert found == [(str(tmp_path / "lote/a.py"), "a"), (str(tmp_path / "lote/b.ipynb"), "b"),
                     (str(tmp_path / "lote/c"), "c")]
    touch("vacia/.keep")
    assert batch.discover_all([tmp_path / "vacia"], "ps1_corr2d") == [(str(tmp_path / "vacia"), "vacia")]


# ---------------------------------------------------------------- what passing tests say, crashes, stubs

NOTE_SUITE = '''
from autograder.text.i18n import N_
from autograder.suites import graded

@graded("corr2d", points=20, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
def test_ok(record_property):
    record_property("output_es", "exactitud 0.891 (mínimo 0.870)")
    record_property("output_en", "accuracy 0.891 (bar 0.870)")
'''


def test_a_passing_test_can_report_what_it_measured(tmp_path, monkeypatch):
    d = tmp_path / "suite"
    (d / "ps1_corr2d").mkdir(parents=True)
    (d / "bugplug.py").write_text(BUG_PLUGIN)
    (d / "ps1_corr2d" / "test_ps1_corr2d.py").write_text(NOTE_SUITE)
    monkeypatch.syspath_prepend(str(d))
    monkeypatch.delitem(sys.modules, "test_ps1_corr2d", raising=False)
    monkeypatch.setattr(engine, "SUITES_DIR", str(d))
    monkeypatch.setattr(engine, "PLUGIN", "bugplug")
    for lang, text in (("es", "exactitud 0.891 (mínimo 0.870)"), ("en", "accuracy 0.891 (bar 0.870)")):
        monkeypatch.delitem(sys.modules, "test_ps1_corr2d", raising=False)
        res = engine.grade(EXAMPLES / "perfecta.ipynb", "ps1_corr2d", lang=lang)
        (test,) = res["tests"]
        assert test["status"] == "passed" and test["score"] == 20 and test["output"] == text


def test_student_frames_are_read_from_the_worker_traceback():
    from autograder.suites.tracebacks import student_frames, student_location

    tb = ('  File "<student:celda 6 (sol_corr2d)>", line 9, in corr2d\n'
          '    return helper(X) @ K\n'
          '  File "<student:celda 6 (sol_corr2d)>", line 3, in helper\n'
          '    return torch.matmul(X, torch.ones(5, 7))\n'
          'RuntimeError: mat1 and mat2 shapes cannot be multiplied (3x3 and 5x7)\n')
    assert student_frames(tb) == [("celda 6 (sol_corr2d)", 9, "corr2d", "return helper(X) @ K"),
                                  ("celda 6 (sol_corr2d)", 3, "helper",
                                   "return torch.matmul(X, torch.ones(5, 7))")]
    es, en = student_location(tb, "es"), student_location(tb, "en")
    assert "Dónde: celda 6 (sol_corr2d), línea 3, en helper: `return torch.matmul(" in es
    assert "corr2d (celda 6 (sol_corr2d), 9) → helper" in es and "Where: celda 6" in en
    assert student_location("RuntimeError: boom\n", "en") == ""


CRASHES = '''import torch

def corr2d(X, K):
    h, w = K.shape
    return torch.matmul(X, torch.ones(5, 7))


def conv2d_strict(X, K):
    return corr2d(X, torch.flip(K, (0, 1)))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    raise NotImplementedError()
'''


@pytest.mark.slow
@pytest.mark.sandbox
def test_crashes_name_the_students_line_and_stubs_are_explained_once(tmp_path):
    sub = tmp_path / "entrega.py"
    sub.write_text(CRASHES)
    res = engine.grade(sub, "ps1_corr2d", lang="es")
    assert res["extra_data"]["grader_error"] is False
    by_obj = {}
    for t in res["tests"]:
        by_obj.setdefault(t["extra_data"]["object"], []).append(t["output"])
    for out in by_obj["corr2d"]:
        assert "RuntimeError" in out
        assert "Dónde: entrega.py, línea 5, en corr2d: `return torch.matmul(X, torch.ones(5, 7))`" in out
        for leak in ("site-packages", "torch/", 'File "', "Traceback"):
            assert leak not in out, out
    first, *rest = by_obj["learn_kernel"]
    assert "completa su celda de solución" in first and "Posible causa" in first
    assert rest and all(o == "learn_kernel todavía no está implementada (ver el primer mensaje "
                        "de learn_kernel)." for o in rest), rest


def test_a_student_error_outside_probe_still_names_the_line():
    from autograder.sandbox import StudentError

    exc = StudentError("ValueError", "modo desconocido",
                       '  File "<student:celda 4 (sol_pool2d)>", line 12, in pool2d\n'
                       '    raise ValueError("modo desconocido")\nValueError: modo desconocido\n')
    kind, text = engine.classify(exc, "es")
    assert kind == "failed" and "ValueError: modo desconocido" in text
    assert "Dónde: celda 4 (sol_pool2d), línea 12, en pool2d" in text
    assert "Where: celda 4 (sol_pool2d), line 12" in engine.classify(exc, "en")[1]
