"""Grade one submission: run the assignment's hidden suite with pytest in this process and turn
the per-test outcomes into a result (autograder/grading/results.py).

    grade_result(submission_path, assignment, *, lang="es", device="cpu", budget=None)
        -> SubmissionResult
    grade(...) -> dict: the same, as its Gradescope results.json

budget: seconds of student time for the whole submission (None: the assignment's default,
autograder/grading/budget.py); the student time used is reported in extra_data.student_seconds.

Never raises (KeyboardInterrupt aside). What the student sees (``output`` of the result and of
each test) is only: the Feedback/AssertionError message of a failing test, a short Spanish (or
English) description of an exception their code raised, or a generic "error interno del
corrector" message. Test source, pytest's long report and grader tracebacks go to stderr for the
instructor, never into the result. A result produced while the grader itself failed carries
``extra_data.grader_error = True`` (the CLI exits 1 and resume regrades it).
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import traceback

import pytest

from autograder import locations
from autograder.text.i18n import N_, languages, tr

from . import registry, scoring
from .results import FAILED, GRADER_FAILED, PASSED, RecordedTest, SubmissionResult, TestResult

# Developer hooks (tests of the engine itself): another suite folder and plugin module.
SUITES_DIR = os.environ.get("AUTOGRADER_SUITES_DIR") or locations.SUITES
PLUGIN = os.environ.get("AUTOGRADER_SUITES_PLUGIN") or "autograder.suites.plugin"

# The message of a test the grader itself failed on (the whole-submission one is results.GRADER_FAILED).
TEST_GRADER_FAILED = N_("Error interno del corrector en esta prueba (no es un error de tu código). "
                        "Avisa al equipo docente.")


def suite_files(assignment: str) -> list[str]:
    """The hidden suite files of an assignment: autograder/suites/<assignment>/test_*.py."""
    return registry.suite_files(assignment, SUITES_DIR)


def log(submission, message: str) -> None:
    """Details for the instructor (stderr), never shown to the student."""
    text = f"[autograder] {os.fspath(submission)}: {message}".rstrip()
    try:
        print(text, file=sys.__stderr__ or sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - logging must not fail grading
        pass


# ---------------------------------------------------------------- exception -> message

def _exception_classes():
    classes = {}
    try:
        from autograder.text.feedback import Feedback
        classes["feedback"] = Feedback
    except Exception:  # noqa: BLE001 - feedback.py missing or broken: AssertionError still works
        classes["feedback"] = AssertionError
    try:
        from autograder.sandbox import StudentCrash, StudentError
        classes["student_error"], classes["student_crash"] = StudentError, StudentCrash
    except Exception:  # noqa: BLE001
        classes["student_error"] = classes["student_crash"] = ()
    classes["skip"] = pytest.skip.Exception
    classes["fail"] = pytest.fail.Exception
    return classes


def _clip(text: str, limit: int = 4000) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify(exc: BaseException, lang: str) -> tuple[str, str]:
    """(kind, student-facing message) for an exception raised by a test.
    kind: "failed" (a verdict on the student's code), "skipped", or "internal"."""
    c = _exception_classes()
    not_expected = tr(lang, "El resultado no es el esperado.")
    if isinstance(exc, c["skip"]):
        return "skipped", tr(lang, "Esta prueba no se ejecutó en este entorno.")
    if isinstance(exc, c["fail"]):
        return "failed", _clip(getattr(exc, "msg", "") or not_expected)
    if isinstance(exc, c["feedback"]) or isinstance(exc, AssertionError):
        try:
            text = str(exc).strip()
        except Exception:  # noqa: BLE001
            text = ""
        if not isinstance(exc, c["feedback"]) or c["feedback"] is AssertionError:
            # a bare assert: drop pytest's rewritten explanation (it quotes test source)
            text = "" if text.startswith("assert ") else text.split("\nassert ", 1)[0].strip()
        return "failed", _clip(text or not_expected)
    if c["student_error"] and isinstance(exc, c["student_error"]):
        text = tr(lang, "Tu código lanzó una excepción: {type}: {message}",
                  type=exc.type_name, message=exc.message)
        try:  # where it passed through the student's code (not torch's internals)
            from autograder.suites.tracebacks import student_location
            text += student_location(getattr(exc, "traceback_text", "") or "", lang)
        except Exception:  # noqa: BLE001 - the location is a nicety
            pass
        return "failed", _clip(text, 2000)
    if c["student_crash"] and isinstance(exc, c["student_crash"]):
        reason = tr(lang, "tardó demasiado") if exc.reason == "timeout" else exc.reason
        return "failed", tr(lang, "Tu código no terminó correctamente ({reason}).", reason=reason)
    return "internal", tr(lang, TEST_GRADER_FAILED)


# ---------------------------------------------------------------- pytest plugin collecting outcomes

class Collector:
    """A pytest plugin object recording the collected tests and their outcomes."""

    def __init__(self, lang: str):
        self.lang = lang
        self.items = []          # [(nodeid, RecordedTest)] in collection order
        self.excinfo = {}        # nodeid -> {phase: exception}
        self.passed = set()      # nodeids whose call phase passed
        self.outputs = {}        # nodeid -> output of a passing test (user property output_<lang>)
        self.collect_errors = []
        self.student_time = None  # (seconds used, budget) reported by the plugin's fixture
        self.review = {}         # nodeid -> [("review", ...) user properties]: for an instructor
        self.data = {}           # nodeid -> trusted data for the report pages (page_extra)

    def pytest_collection_finish(self, session):
        from autograder.suites.plugin import item_info  # the suites' record of a test: points, titles, object
        for item in session.items:
            self.items.append((item.nodeid, RecordedTest.from_record(item_info(item), item.name)))

    @pytest.hookimpl(trylast=True)  # after pytest's own sessionfinish has torn down the fixtures
    def pytest_sessionfinish(self, session):
        self.student_time = getattr(session.config, "_autograder_student_time", None)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_runtest_logreport(self, report):
        for prop in getattr(report, "user_properties", None) or ():
            if isinstance(prop, tuple) and len(prop) == 2 and prop[0] == "review":
                self.review.setdefault(report.nodeid, []).append(prop[1])

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        if call.when == "call":
            self.data[item.nodeid] = page_extra(item, call.excinfo.value if call.excinfo else None)
        if call.excinfo is not None:
            self.excinfo.setdefault(item.nodeid, {})[call.when] = call.excinfo.value
        elif call.when == "call":
            self.passed.add(item.nodeid)
            props = dict(p for p in item.user_properties if isinstance(p, tuple) and len(p) == 2)
            text = props.get(f"output_{self.lang}") or props.get("output_es")
            if isinstance(text, str) and text:
                self.outputs[item.nodeid] = _clip(text)
        return None  # let pytest build the report


PAGE_DATA = "page_data"  # user property a suite test may record (record_property) for the pages


def page_extra(item, exc) -> dict:
    """Trusted per-test data for the report pages: the misconception key and the data a
    Feedback failure carries (tensors it saw), plus what the test recorded as PAGE_DATA
    (e.g. ps5's training curve). Never student-facing text or test source."""
    extra = {}
    try:
        for key, value in getattr(item, "user_properties", ()):
            if key == PAGE_DATA and isinstance(value, dict):
                extra.update(value)
        if exc is not None and getattr(exc, "misconception", None):
            extra["misconception"] = str(exc.misconception)
        if exc is not None and isinstance(getattr(exc, "data", None), dict):
            extra.update(exc.data)
    except Exception:  # noqa: BLE001 - page data must never cost a grade
        return {}
    try:  # results.json must stay strict JSON: drop data that is not (objects, NaN)
        import json
        json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError):
        return {k: extra[k] for k in ("misconception",) if k in extra}
    return extra


# Off for the in-process runs: third-party plugins that would change the run, and builtin ones
# that only cost time per submission and serve no grade: the cache (no state between runs),
# unraisableexception/threadexception (full garbage collections over torch's heap at every
# session end: ~0.3 s each time), doctest/pastebin/stepwise/setuponly/setupplan (options the
# engine never passes). junitxml stays: it provides the `record_property` fixture that suites use
# to report measurements (ps5's accuracy) and data for the report pages.
DISABLED_PLUGINS = tuple(
    arg for name in ("cacheprovider", "unraisableexception", "threadexception", "doctest",
                     "pastebin", "stepwise", "setuponly", "setupplan",
                     "randomly", "xdist", "sugar")
    for arg in ("-p", f"no:{name}"))


def _pytest_args(assignment, files, submission, lang, device, collect_only=False, budget=None):
    args = list(files) + [
        "-p", PLUGIN,
        "--submission", os.fspath(submission), "--assignment", assignment,
        "--lang", lang, "--device", device,
        "-q", "--no-header", "--capture=sys", "--assert=plain",
        *DISABLED_PLUGINS,
        # hermetic: no ini file, conftest or PYTEST_ADDOPTS from the instructor's checkout
        "-c", os.devnull, "--rootdir", SUITES_DIR, "--confcutdir", SUITES_DIR,
    ]
    if budget:
        args += ["--budget", repr(float(budget))]
    if collect_only:
        args.append("--collect-only")
    return args


def _run_pytest(args, collector):
    buf = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.delenv("PYTEST_ADDOPTS", raising=False)
        env.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # we load exactly our plugin (-p)
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = pytest.main(args, plugins=[collector])
    return int(code), buf.getvalue()


# ---------------------------------------------------------------- results

def _fallback_tests(assignment, lang="es"):
    """One test per graded object when the suite itself cannot even be collected."""
    label = tr(lang, "todas las pruebas")
    return [(obj, RecordedTest(obj, pts, {lang: f"{obj}: {label}"}))
            for obj, pts in scoring.POINTS[assignment].items()]


def _all_failed(assignment, items, message, lang, grader_error, started, notes=()):
    """Every test failed with `message` (items: [(nodeid, RecordedTest)], else one per object)."""
    items = items or _fallback_tests(assignment, lang)
    tests = [TestResult(test, 0, FAILED, message) for _nodeid, test in items]
    return SubmissionResult(assignment, tests, lang, scoring.max_score(assignment), message, list(notes),
                            grader_error, time.perf_counter() - started)


def internal_error(assignment: str, lang: str = "es", elapsed: float = 0.0) -> SubmissionResult:
    """A complete result (all tests failed, flagged grader_error) for when grading crashed."""
    if assignment not in scoring.POINTS:
        return SubmissionResult(assignment, [], lang, 0, tr(lang, GRADER_FAILED), grader_error=True,
                                execution_time=elapsed)
    return _all_failed(assignment, None, tr(lang, GRADER_FAILED), lang, True, time.perf_counter() - elapsed)


def internal_error_result(assignment: str, lang: str = "es", elapsed: float = 0.0) -> dict:
    """internal_error() as its results.json."""
    return internal_error(assignment, lang, elapsed).to_gradescope()


def grade(submission_path, assignment: str, *, lang: str = "es", device: str = "cpu",
          budget: float | None = None) -> dict:
    """Grade one submission against the assignment's hidden suite (see the module docstring):
    grade_result(...) as its results.json (Gradescope format)."""
    return grade_result(submission_path, assignment, lang=lang, device=device, budget=budget).to_gradescope()


def grade_result(submission_path, assignment: str, *, lang: str = "es", device: str = "cpu",
                 budget: float | None = None) -> SubmissionResult:
    """grade(), as a SubmissionResult."""
    started = time.perf_counter()
    if lang not in languages():
        lang = "es"
    try:
        return _grade(os.fspath(submission_path), assignment, lang, device, started, budget)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - the engine never lets an exception escape
        log(submission_path, "grader failure:\n" + traceback.format_exc())
        return internal_error(assignment, lang, time.perf_counter() - started)


def _grade(path, assignment, lang, device, started, budget=None):
    if assignment not in scoring.POINTS:
        raise ValueError(f"unknown assignment {assignment!r}")
    files = suite_files(assignment)
    if not files:
        raise RuntimeError(f"no hidden suite for {assignment} under {SUITES_DIR}")

    from autograder.intake.submission import load_submission
    sub = load_submission(path, assignment, lang=lang)
    notes = [str(n) for n in (sub.notes or [])]

    if sub.fatal:
        collector = Collector(lang)
        code, text = _run_pytest(_pytest_args(assignment, files, path, lang, device, True), collector)
        grader_error = code != 0 or not collector.items
        if grader_error:
            log(path, f"collecting the suite failed (pytest exit {code}):\n{text}")
        message = tr(lang, "No se pudo calificar la entrega: {reason}", reason=sub.fatal)
        res = _all_failed(assignment, collector.items, message, lang, grader_error, started, notes)
        res.extra_data["loaded"] = False
        return res

    collector = Collector(lang)
    code, text = _run_pytest(_pytest_args(assignment, files, path, lang, device, budget=budget), collector)
    grader_error = code not in (0, 1) or bool(collector.collect_errors) or not collector.items
    details = []
    tests = []
    for nodeid, graded in collector.items:
        excs = collector.excinfo.get(nodeid, {})
        failure = excs.get("setup") or excs.get("call")
        if failure is None and nodeid in collector.passed:
            tests.append(_test_result(graded, graded.points or 0, PASSED, collector.outputs.get(nodeid, ""),
                                      collector.data.get(nodeid)))
            if "teardown" in excs:
                details.append(f"{nodeid}: teardown error: {excs['teardown']!r}")
            continue
        if failure is None:  # not run (interrupted session) or only teardown failed
            kind = "internal"
            message = tr(lang, "Esta prueba no llegó a ejecutarse.") if "teardown" not in excs \
                else tr(lang, TEST_GRADER_FAILED)
        else:
            kind, message = classify(failure, lang)
        if kind == "internal":
            grader_error = True
            details.append(f"{nodeid}: {''.join(traceback.format_exception(failure)) if failure else 'not run'}")
        tests.append(_test_result(graded, 0, FAILED, message,
                                  collector.data.get(nodeid) if kind == "failed" else None,
                                  collector.review.get(nodeid)))
    if grader_error:
        log(path, f"grader error (pytest exit {code})\n" + "\n".join(collector.collect_errors + details)
            + ("\n--- pytest output ---\n" + text if text.strip() else ""))
    elif details:
        log(path, "\n".join(details))
    if not tests:
        return _all_failed(assignment, None, tr(lang, GRADER_FAILED), lang, True, started)
    nothing_passed = not any(t.status == PASSED for t in tests)
    headline = tr(lang, GRADER_FAILED) if grader_error and nothing_passed else ""
    if nothing_passed and not grader_error:  # say once, at the top, why nothing could be tried
        from .graded_summary import nothing_graded_summary
        headline = nothing_graded_summary(assignment, sub.cells, lang) or ""
    from autograder.sandbox import confinement_label
    extra = {"confinement": confinement_label()}   # where this student's code ran
    if collector.student_time:
        used, allowed = collector.student_time
        extra.update(student_seconds=round(used, 2), budget_seconds=allowed)
    return SubmissionResult(assignment, tests, lang, scoring.max_score(assignment), headline, notes,
                            grader_error, time.perf_counter() - started, extra)


def _test_result(graded, score, status, output, data=None, review=None) -> TestResult:
    data = dict(data or {})
    return TestResult(graded, score, status, output, data.pop("misconception", None), data, list(review or ()))
