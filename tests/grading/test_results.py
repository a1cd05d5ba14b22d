"""Typed results (autograder/grading/results.py): RecordedTest, TestResult, SubmissionResult, their
results.json (to_gradescope / from_gradescope), the one per-object score, and the one atomic
write; and what the report table, the nbgrader hook and Gradescope make of them."""
import json
import os
import stat

import pytest

from autograder.grading import result_files, results
from autograder.grading import score_table as report
from autograder.grading.results import RecordedTest, SubmissionResult, TestResult
from autograder.grading.scoring import POINTS

AID = "ps1_corr2d"


def _graded(obj, points, es, en=None):
    return RecordedTest(obj, points, {"es": f"{obj}: {es}", **({"en": f"{obj}: {en}"} if en else {})})


def _sample(lang="es") -> SubmissionResult:
    ok = _graded("corr2d", 6, "forma", "shape")
    bad = _graded("corr2d", 4, "valores", "values")
    same = _graded("conv2d_strict", 2, "igual")
    tests = [TestResult(ok, 6, "passed", "", extra_data={"curve": [1, 2]}),
             TestResult(bad, 0, "failed", "mal", "off_by_one", {"tensors": {"expected": [[1]]}}),
             TestResult(same, 2, "passed"),
             TestResult(same, 0, "failed", "no", review=[{"kind": "forbidden", "construct": "F.conv2d"}])]
    return SubmissionResult(AID, tests, lang, 20, "", ["celda 3 saltada"], False, 1.23456,
                            {"student_seconds": 2.5})


def test_results_json_has_the_gradescope_shape_and_each_tests_object():
    data = _sample().to_gradescope()
    assert results.validate(data) == []
    assert data["score"] == 8 and data["max_score"] == 20 and data["execution_time"] == 1.235
    assert data["output"] == "Notas sobre la lectura de la entrega:\n- celda 3 saltada"
    assert [t["name"] for t in data["tests"]] == ["corr2d: forma", "corr2d: valores",
                                                  "conv2d_strict: igual", "conv2d_strict: igual (2)"]
    assert all(t["visibility"] == "visible" for t in data["tests"])
    assert [t["extra_data"]["object"] for t in data["tests"]] == ["corr2d", "corr2d", "conv2d_strict",
                                                                  "conv2d_strict"]
    assert data["tests"][1]["extra_data"] == {"object": "corr2d", "tensors": {"expected": [[1]]},
                                              "misconception": "off_by_one"}
    assert data["extra_data"] == {
        "assignment": AID, "lang": "es", "grader_error": False, "student_seconds": 2.5,
        "review": [{"kind": "forbidden", "construct": "F.conv2d", "test": "conv2d_strict: igual (2)"}]}
    assert "visibility" not in data and "stdout_visibility" not in data
    english = _sample("en").to_gradescope()
    assert [t["name"] for t in english["tests"]][:2] == ["corr2d: shape", "corr2d: values"]
    assert english["tests"][2]["name"] == "conv2d_strict: igual"      # no English title: Spanish
    assert english["output"].startswith("Notes on reading the submission:")


def test_reading_results_json_back_gives_the_same_json():
    data = _sample().to_gradescope()
    again = SubmissionResult.from_gradescope(json.loads(json.dumps(data)))
    assert again.to_gradescope() == data
    assert again.tests[1].misconception == "off_by_one" and again.tests[3].review
    assert again.assignment == AID and again.lang == "es" and again.extra_data == {"student_seconds": 2.5}


def test_a_review_flag_only_at_the_top_is_kept():
    flagged = {"score": 0, "max_score": 20, "output": "", "execution_time": 0.0, "tests": [],
               "extra_data": {"assignment": AID, "lang": "es", "grader_error": False,
                              "review": [{"object": "corr2d"}]}}
    res = SubmissionResult.from_gradescope(flagged)
    assert res.needs_review and res.to_gradescope() == flagged
    assert not SubmissionResult.from_gradescope({**flagged, "extra_data": {}}).needs_review


def test_results_json_written_before_objects_were_recorded_falls_back_to_the_title():
    old = {"score": 3, "max_score": 20, "output": "", "execution_time": 0.5,
           "tests": [{"name": "learn_kernel: converge", "score": 3, "max_score": 6, "status": "failed",
                      "output": "lento", "visibility": "visible"}]}
    res = SubmissionResult.from_gradescope(old, AID)
    assert res.tests[0].test.object == "learn_kernel" and res.assignment == AID
    assert res.object_scores()["learn_kernel"].score == 3
    # the recorded object wins over whatever the title says
    entry = dict(old["tests"][0], name="una prueba sin prefijo", extra_data={"object": "corr2d"})
    assert results.test_object(entry) == "corr2d"


def test_a_suite_record_names_its_object_else_its_spanish_title_does():
    rec = {"points": 3, "title_es": "corr2d: forma", "title_en": "corr2d: shape"}
    assert RecordedTest.from_record(rec) == RecordedTest("corr2d", 3, {"es": "corr2d: forma", "en": "corr2d: shape"})
    assert RecordedTest.from_record({**rec, "object": "conv2d_strict"}).object == "conv2d_strict"
    bare = RecordedTest.from_record({}, "test_something")
    assert bare.title("en") == "test_something" and bare.points == 0


def test_one_per_object_score_in_assignment_order_with_its_points_as_maximum():
    res = _sample()
    res.tests.append(TestResult(_graded("extra", 1, "fuera del reparto"), 1, "passed"))
    scores = res.object_scores()
    assert list(scores) == list(POINTS[AID]) + ["extra"]
    assert (scores["corr2d"].score, scores["corr2d"].max_score) == (6, POINTS[AID]["corr2d"])
    assert [t.output for t in scores["corr2d"].failed] == ["mal"]
    assert scores["learn_kernel"].tests == [] and scores["learn_kernel"].score == 0
    assert (scores["extra"].score, scores["extra"].max_score) == (1, 1)
    # the report's per-object cells are this very function
    assert report.per_object(res.to_gradescope(), AID) == {o: (s.score, s.max_score) for o, s in scores.items()}
    # a score never goes past its object's points (a malformed result)
    over = SubmissionResult(AID, [TestResult(_graded("corr2d", 10, "x"), 25, "passed")], max_score=20)
    assert over.object_scores()["corr2d"].score == POINTS[AID]["corr2d"]


def test_report_table_takes_typed_results_and_results_json_alike():
    typed = _sample()
    by_dict = report.table([("ana", typed.to_gradescope(), "graded")], AID, "es")
    assert report.table([("ana", typed, "graded")], AID, "es") == by_dict
    header, _sep, row = by_dict.splitlines()
    assert header.split()[0] == "Entrega" and row.split()[:4] == ["ana", "6", "2", "0"]
    assert row.endswith("calificada (revisar)")
    english = report.table([("ana", typed, "grader_error"), ("bo", typed, "resumed")], AID, "en")
    assert english.splitlines()[0].startswith("Submission") and "GRADER ERROR (review)" in english
    assert "previous (review)" in english and "Mean" in english


def test_one_atomic_write_for_every_file_the_grader_writes(tmp_path, monkeypatch):
    from autograder.gradescope import build as gradescope
    from autograder.nbgrader import gradebook as nbgrader_gradebook
    from autograder.nbgrader import snapshot as nbgrader_snapshot
    assert nbgrader_snapshot.write_atomic is result_files.write_atomic is gradescope.write_atomic
    assert nbgrader_gradebook.write_atomic is result_files.write_atomic
    target = tmp_path / "deep" / "x.bin"
    result_files.write_atomic(target, b"uno", mode=0o644)
    assert target.read_bytes() == b"uno" and stat.S_IMODE(target.stat().st_mode) == 0o644
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        result_files.write_atomic(target, b"dos")
    assert target.read_bytes() == b"uno" and os.listdir(target.parent) == ["x.bin"]
    monkeypatch.undo()
    result_files.write_json_atomic(tmp_path / "r.json", _sample())
    assert json.loads((tmp_path / "r.json").read_text()) == _sample().to_gradescope()
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o600


def test_grade_cells_show_the_typed_result_in_the_courses_language():
    from autograder.nbgrader.grade_cells import feedback_text, hook_view
    data = _sample().to_gradescope()
    text = feedback_text(data, AID, "corr2d", "es")
    assert text.splitlines()[0] == "corr2d: 6 / 10 puntos"
    assert "  ✗ corr2d: valores (0/4)" in text and "      mal" in text
    assert "Observaciones generales:" in text and "celda 3 saltada" in text
    english = feedback_text(_sample("en").to_gradescope(), AID, "learn_kernel", "en")
    assert english.splitlines() == ["learn_kernel: 0 / 6 points", "  learn_kernel could not be graded.",
                                    "General notes:", "  Notes on reading the submission:",
                                    "  - celda 3 saltada"]
    view = hook_view(data, AID, AID, "abc", "es")
    assert set(view["objects"]) == set(POINTS[AID])
    assert view["objects"]["conv2d_strict"]["score"] == 2


def test_gradescope_crash_and_missing_submission_are_complete_results(tmp_path):
    from autograder.gradescope import build as gradescope
    root = tmp_path / "root"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "x.py").write_text("x = 1\n")

    def crash(*a, **k):
        raise RuntimeError("grader bug")
    data = gradescope.run_autograder(root, assignment=AID, lang="en", grade=crash, visibility="hidden")
    assert results.validate(data) == [] and data["tests"] == [] and data["max_score"] == 20
    assert data["output"].startswith("Internal grader error: this submission could not be graded")
    assert data["visibility"] == "hidden" and data["extra_data"]["grader_error"] is True
    assert json.loads((root / "results" / "results.json").read_text()) == data
    (root / "submission" / "x.py").unlink()
    data = gradescope.run_autograder(root, assignment=AID, lang="es")
    assert data["output"] == "No se encontró ninguna entrega en submission/."
