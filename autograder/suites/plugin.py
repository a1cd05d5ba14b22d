"""pytest plugin of the hidden suites (entry point `pytest11: autograder`; also `-p
autograder.suites.plugin`).

Options: --submission PATH, --assignment ID, --lang es|en (default es), --device auto|cpu|cuda,
--budget SECONDS (student time for the whole submission; default per assignment, see
autograder/grading/budget.py).
Fixtures: `student` (session-scoped wrapper over autograder.sandbox.Session), `say` (feedback in
the session's language: autograder.text.feedback.Say), `lang`, `device`.
Markers: graded(object, points=n, title=N_("...")) (autograder/suites/marker.py: write it with the
`graded` decorator), assignment(id). Tests of other assignments than --assignment are deselected
(a suite module's assignment comes from its `assignment` marker or from its file name
test_<assignment>*.py).

Every report of a suite test carries user_properties: ("object", graded object), ("points", n),
("title_es", "object: title"), ("title_en", ...) (one title_<lang> per catalogue language),
("assignment", id) and, when it failed with Feedback, ("feedback", message), ("misconception",
key) when it names one, and ("review", {...}) when the failure must be looked at by an instructor
(a construct that breaks the "implement it yourself" rule, or a reply from the worker that the
genuine probes never send). The long representation of a Feedback failure is the message alone,
so not even plain pytest output shows test source.
"""
from __future__ import annotations

import os

import pytest

from autograder.grading import scoring
from autograder.suites.marker import MARKER, graded_test
from autograder.suites.student import Student, log_instructor
from autograder.text.feedback import Feedback, Say

# ---------------------------------------------------------------------------------------------
# Options, markers, selection.


def pytest_addoption(parser):
    group = parser.getgroup("autograder", "hidden autograder suites")
    group.addoption("--submission", default=None, help="student submission (.ipynb, .py or folder)")
    group.addoption("--assignment", default=None, choices=list(scoring.ASSIGNMENTS),
                    help="assignment id; tests of other assignments are deselected")
    group.addoption("--lang", default="es", choices=["es", "en"], help="feedback language")
    group.addoption("--device", default="auto", choices=["auto", "cpu", "cuda"],
                    help="device for checks that train (auto: cuda when available)")
    group.addoption("--budget", default=None, type=_positive_seconds, metavar="SECONDS",
                    help="wall-clock seconds of student code (loads, reloads, calls) per "
                         "submission; default per assignment (autograder/grading/budget.py)")


def _positive_seconds(text):
    value = float(text)
    if not value > 0:
        raise ValueError("--budget must be a positive number of seconds")
    return value


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}(object, points, title): a hidden-suite test "
                                       "(write it with autograder.suites.graded)")
    config.addinivalue_line("markers", "assignment(id): assignment a suite test belongs to")


def item_assignment(item) -> str | None:
    marker = item.get_closest_marker("assignment")
    if marker is not None and marker.args:
        return marker.args[0]
    path = str(getattr(item, "fspath", "") or item.nodeid.split("::")[0])
    folder = os.path.basename(os.path.dirname(path))
    if folder in scoring.ASSIGNMENTS:                  # autograder/suites/<id>/test_*.py
        return folder
    base = os.path.basename(path)
    if base.startswith("test_"):
        stem = base[len("test_"):]
        for a in sorted(scoring.ASSIGNMENTS, key=len, reverse=True):
            if stem == a + ".py" or stem.startswith(a + "_") or stem.startswith(a + "."):
                return a
    return None


_INFO = pytest.StashKey[dict]()


def item_info(item) -> dict:
    """The record fields of a suite test: assignment, and for a declared test (graded_test)
    object, points and title_<lang> of every catalogue language (read once per item)."""
    if _INFO in item.stash:
        return item.stash[_INFO]
    info = {"assignment": item_assignment(item)}
    declared = graded_test(item)
    if declared is not None:
        info.update(object=declared.object, points=declared.points, **declared.titles())
    item.stash[_INFO] = info
    return info


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("--assignment")
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        a = item_assignment(item)
        (drop if a is not None and a != wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    info = item_info(item)
    if info.get("points") is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        report.user_properties.extend((k, v) for k, v in info.items() if v is not None)
        if call.excinfo is not None and isinstance(call.excinfo.value, Feedback):
            message = call.excinfo.value.message
            report.user_properties.append(("feedback", message))
            if call.excinfo.value.misconception:
                report.user_properties.append(("misconception", call.excinfo.value.misconception))
            review = getattr(call.excinfo.value, "review", None)
            if review:
                report.user_properties.append(("review", review))
            report.longrepr = message


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A grader-side exception (KeyError, TypeError...) in a test of a submission whose code
    could have tampered with the worker, or that already sent a malformed reply, is the
    student's failure (flagged for review), not a grader error: a forged reply must never make
    the grader look broken (and be regraded forever)."""
    try:
        return (yield)
    except Exception as exc:
        student = getattr(item, "funcargs", {}).get("student")
        if isinstance(exc, (AssertionError, pytest.skip.Exception, pytest.fail.Exception)) \
                or not isinstance(student, Student) or _is_student_exception(exc):
            raise
        reason = student.tamper_reason()
        if reason is None:
            raise
        log_instructor(student.path, f"{item.nodeid}: {type(exc).__name__}: {exc} "
                                      f"(counted as the student's failure: {reason})")
        raise student.tampered_feedback(None, reason) from exc


def _is_student_exception(exc):
    try:
        from autograder.sandbox import StudentCrash, StudentError
    except ImportError:
        return False
    return isinstance(exc, (StudentError, StudentCrash))


@pytest.fixture(scope="session")
def say(lang):
    """Feedback in the session's language: say(msg, **fields), say.wrong(msg, misconception=...,
    **fields), say.check_tensor(call, got, expected, ...) (autograder.text.feedback.Say)."""
    return Say(lang)


@pytest.fixture(scope="session")
def lang(pytestconfig):
    return pytestconfig.getoption("--lang") or "es"


@pytest.fixture(scope="session")
def device(pytestconfig):
    choice = pytestconfig.getoption("--device") or "auto"
    if choice == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return choice


@pytest.fixture(scope="session")
def student(request, pytestconfig, lang):
    path = pytestconfig.getoption("--submission")
    if not path:
        pytest.skip("hidden suites need --submission PATH")
    assignment = pytestconfig.getoption("--assignment") or item_assignment(request.node) \
        or _assignment_of(request)
    s = Student(path, assignment, lang, budget=pytestconfig.getoption("--budget"))
    yield s
    s.close()
    # for the engine's results (extra_data) and the benchmarks: student time used / allowed
    pytestconfig._autograder_student_time = (s.budget.used, s.budget.seconds)


def _assignment_of(request):
    for item in getattr(request.session, "items", []):
        a = item_assignment(item)
        if a:
            return a
    return None
