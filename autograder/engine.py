"""Grade one submission: run the assignment's hidden suite with pytest in this process and turn
the per-test outcomes into a Gradescope results dict.

    grade(submission_path, assignment, *, lang="es", device="cpu", budget=None) -> dict

budget: seconds of student time for the whole submission (None: the assignment's default,
autograder/budget.py); the student time used is reported in extra_data.student_seconds.

Never raises (KeyboardInterrupt aside). What the student sees (``output`` of the result and of
each test) is only: the Feedback/AssertionError message of a failing test, a short Spanish (or
English) description of an exception their code raised, or a generic "error interno del
corrector" message. Test source, pytest's long report and grader tracebacks go to stderr for the
instructor, never into the result. A result produced while the grader itself failed carries
``extra_data.grader_error = True`` (the CLI exits 1 and resume regrades it).
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import sys
import time
import traceback

import pytest

from . import scoring

# Developer hooks (tests of the engine itself): another suite folder and plugin module.
SUITES_DIR = os.environ.get("AUTOGRADER_SUITES_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "suites")
PLUGIN = os.environ.get("AUTOGRADER_SUITES_PLUGIN") or "autograder.suites.plugin"
VISIBILITY = "visible"

MESSAGES = {
    "es": {
        "internal": "Error interno del corrector en esta prueba (no es un error de tu código). "
                    "Avisa al equipo docente.",
        "internal_all": "Error interno del corrector: no se pudo calificar esta entrega "
                        "(no es un error de tu código). Avisa al equipo docente.",
        "not_expected": "El resultado no es el esperado.",
        "student_error": "Tu código lanzó una excepción: {type}: {message}",
        "student_crash": "Tu código no terminó correctamente ({reason}).",
        "crash_timeout": "tardó demasiado",
        "skipped": "Esta prueba no se ejecutó en este entorno.",
        "not_graded": "No se pudo calificar la entrega: {reason}",
        "notes": "Notas sobre la lectura de la entrega:",
        "missing_test": "Esta prueba no llegó a ejecutarse.",
        "all_tests": "todas las pruebas",
    },
    "en": {
        "internal": "Internal grader error in this test (not a problem in your code). "
                    "Please tell the teaching staff.",
        "internal_all": "Internal grader error: this submission could not be graded "
                        "(not a problem in your code). Please tell the teaching staff.",
        "not_expected": "The result is not the expected one.",
        "student_error": "Your code raised an exception: {type}: {message}",
        "student_crash": "Your code did not finish properly ({reason}).",
        "crash_timeout": "it took too long",
        "skipped": "This test did not run in this environment.",
        "not_graded": "The submission could not be graded: {reason}",
        "notes": "Notes on reading the submission:",
        "missing_test": "This test did not run.",
        "all_tests": "all tests",
    },
}


def suite_files(assignment: str) -> list[str]:
    """The hidden suite files of an assignment: autograder/suites/test_<assignment>*.py."""
    return sorted(glob.glob(os.path.join(SUITES_DIR, f"test_{assignment}*.py")))


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
        from .feedback import Feedback
        classes["feedback"] = Feedback
    except Exception:  # noqa: BLE001 - feedback.py missing or broken: AssertionError still works
        classes["feedback"] = AssertionError
    try:
        from .sandbox import StudentCrash, StudentError
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
    m = MESSAGES[lang]
    c = _exception_classes()
    if isinstance(exc, c["skip"]):
        return "skipped", m["skipped"]
    if isinstance(exc, c["fail"]):
        return "failed", _clip(getattr(exc, "msg", "") or m["not_expected"])
    if isinstance(exc, c["feedback"]) or isinstance(exc, AssertionError):
        try:
            text = str(exc).strip()
        except Exception:  # noqa: BLE001
            text = ""
        if not isinstance(exc, c["feedback"]) or c["feedback"] is AssertionError:
            # a bare assert: drop pytest's rewritten explanation (it quotes test source)
            text = "" if text.startswith("assert ") else text.split("\nassert ", 1)[0].strip()
        return "failed", _clip(text or m["not_expected"])
    if c["student_error"] and isinstance(exc, c["student_error"]):
        text = m["student_error"].format(type=exc.type_name, message=exc.message)
        try:  # where it passed through the student's code (not torch's internals)
            from .suites.plugin import where_in_student_code
            text += where_in_student_code(getattr(exc, "traceback_text", "") or "")[lang == "en"]
        except Exception:  # noqa: BLE001 - the location is a nicety
            pass
        return "failed", _clip(text, 2000)
    if c["student_crash"] and isinstance(exc, c["student_crash"]):
        reason = m["crash_timeout"] if exc.reason == "timeout" else exc.reason
        return "failed", m["student_crash"].format(reason=reason)
    return "internal", m["internal"]


# ---------------------------------------------------------------- pytest plugin collecting outcomes

class Collector:
    """A pytest plugin object recording the collected tests and their outcomes."""

    def __init__(self, lang: str):
        self.lang = lang
        self.items = []          # [(nodeid, title, points)] in collection order
        self.excinfo = {}        # nodeid -> {phase: exception}
        self.passed = set()      # nodeids whose call phase passed
        self.outputs = {}        # nodeid -> output of a passing test (user property output_<lang>)
        self.collect_errors = []
        self.student_time = None  # (seconds used, budget) reported by the plugin's fixture
        self.review = {}         # nodeid -> [("review", ...) user properties]: for an instructor
        self.data = {}           # nodeid -> trusted data for the report pages (page_extra)

    def pytest_collection_finish(self, session):
        for item in session.items:
            points = item.get_closest_marker("points")
            title = item.get_closest_marker("title")
            pts = None
            if points is not None:
                pts = points.args[0] if points.args else points.kwargs.get("n")
            name = None
            if title is not None:
                name = title.kwargs.get(self.lang) or title.kwargs.get("es") or (title.args[0] if title.args else None)
            self.items.append((item.nodeid, name or item.name, pts))

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
    saved = {k: os.environ.get(k) for k in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")}
    os.environ.pop("PYTEST_ADDOPTS", None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # we load exactly our plugin (-p)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = pytest.main(args, plugins=[collector])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return int(code), buf.getvalue()


# ---------------------------------------------------------------- results

def _unique(names):
    seen, out = {}, []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        seen.setdefault(n, 1)
        out.append(n)
    return out


def _fallback_tests(assignment, lang="es"):
    """One entry per graded object when the suite itself cannot even be collected."""
    label = MESSAGES.get(lang, MESSAGES["es"])["all_tests"]
    return [(obj, f"{obj}: {label}", pts) for obj, pts in scoring.POINTS[assignment].items()]


def _result(assignment, tests, output, started, grader_error=False, lang="es", extra=None):
    tests_out = []
    for name, entry in zip(_unique([t["name"] for t in tests]), tests):
        tests_out.append({"name": name, "score": _num(entry["score"]), "max_score": _num(entry["max_score"]),
                          "status": entry["status"], "output": entry["output"], "visibility": VISIBILITY})
        test_extra = dict(entry.get("extra_data") or {})
        if entry.get("review"):
            test_extra["review"] = entry["review"]
        if test_extra:
            tests_out[-1]["extra_data"] = test_extra
    data = {
        "score": _num(sum(t["score"] for t in tests_out)),
        "max_score": scoring.max_score(assignment),
        "output": output,
        "execution_time": round(time.perf_counter() - started, 3),
        "tests": tests_out,
        "extra_data": {"assignment": assignment, "lang": lang, "grader_error": bool(grader_error)},
    }
    review = [dict(r, test=t["name"]) if isinstance(r, dict) else {"test": t["name"], "detail": str(r)}
              for t in tests_out for r in (t.get("extra_data") or {}).get("review", ())]
    if review:  # an instructor should look at this submission (see docs/security.md)
        data["extra_data"]["review"] = review
    if extra:
        data["extra_data"].update(extra)
    return data


def _num(x):
    x = float(x or 0)
    x = round(x, 6)
    return int(x) if x.is_integer() else x


def _all_failed(assignment, items, message, output, started, lang, grader_error):
    items = items or _fallback_tests(assignment, lang)
    tests = [{"name": title, "score": 0, "max_score": pts or 0, "status": "failed", "output": message}
             for _nodeid, title, pts in items]
    return _result(assignment, tests, output, started, grader_error, lang)


def internal_error_result(assignment: str, lang: str = "es", elapsed: float = 0.0) -> dict:
    """A complete result (all tests failed, flagged grader_error) for when grading crashed."""
    m = MESSAGES.get(lang, MESSAGES["es"])
    return _all_failed(assignment, None, m["internal_all"], m["internal_all"],
                       time.perf_counter() - elapsed, lang, True)


def grade(submission_path, assignment: str, *, lang: str = "es", device: str = "cpu",
          budget: float | None = None) -> dict:
    """Grade one submission against the assignment's hidden suite (see the module docstring)."""
    started = time.perf_counter()
    if lang not in MESSAGES:
        lang = "es"
    m = MESSAGES[lang]
    try:
        return _grade(os.fspath(submission_path), assignment, lang, device, started, budget)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - the engine never lets an exception escape
        log(submission_path, "grader failure:\n" + traceback.format_exc())
        if assignment not in scoring.POINTS:
            return {"score": 0, "max_score": 0, "output": m["internal_all"], "execution_time":
                    round(time.perf_counter() - started, 3), "tests": [],
                    "extra_data": {"assignment": assignment, "lang": lang, "grader_error": True}}
        return internal_error_result(assignment, lang, time.perf_counter() - started)


def _grade(path, assignment, lang, device, started, budget=None):
    m = MESSAGES[lang]
    if assignment not in scoring.POINTS:
        raise ValueError(f"unknown assignment {assignment!r}")
    files = suite_files(assignment)
    if not files:
        raise RuntimeError(f"no hidden suite for {assignment} under {SUITES_DIR}")

    from .submission import load_submission
    sub = load_submission(path, assignment)
    notes = [str(n) for n in (sub.notes or [])]
    notes_text = (m["notes"] + "\n" + "\n".join(f"- {n}" for n in notes)) if notes else ""

    if sub.fatal:
        collector = Collector(lang)
        code, text = _run_pytest(_pytest_args(assignment, files, path, lang, device, True), collector)
        grader_error = code != 0 or not collector.items
        if grader_error:
            log(path, f"collecting the suite failed (pytest exit {code}):\n{text}")
        message = m["not_graded"].format(reason=sub.fatal)
        output = "\n\n".join(x for x in (message, notes_text) if x)
        res = _all_failed(assignment, collector.items, message, output, started, lang, grader_error)
        res["extra_data"]["loaded"] = False
        return res

    collector = Collector(lang)
    code, text = _run_pytest(_pytest_args(assignment, files, path, lang, device, budget=budget), collector)
    grader_error = code not in (0, 1) or bool(collector.collect_errors) or not collector.items
    details = []
    tests = []
    for nodeid, title, pts in collector.items:
        pts = pts or 0
        excs = collector.excinfo.get(nodeid, {})
        failure = excs.get("setup") or excs.get("call")
        if failure is None and nodeid in collector.passed:
            tests.append({"name": title, "score": pts, "max_score": pts, "status": "passed",
                          "output": collector.outputs.get(nodeid, ""),
                          "extra_data": collector.data.get(nodeid)})
            if "teardown" in excs:
                details.append(f"{nodeid}: teardown error: {excs['teardown']!r}")
            continue
        if failure is None:  # not run (interrupted session) or only teardown failed
            kind, message = "internal", m["missing_test"] if "teardown" not in excs else m["internal"]
        else:
            kind, message = classify(failure, lang)
        if kind == "internal":
            grader_error = True
            details.append(f"{nodeid}: {''.join(traceback.format_exception(failure)) if failure else 'not run'}")
        tests.append({"name": title, "score": 0, "max_score": pts, "status": "failed", "output": message,
                      "extra_data": collector.data.get(nodeid) if kind == "failed" else None,
                      "review": collector.review.get(nodeid)})
    if grader_error:
        log(path, f"grader error (pytest exit {code})\n" + "\n".join(collector.collect_errors + details)
            + ("\n--- pytest output ---\n" + text if text.strip() else ""))
    elif details:
        log(path, "\n".join(details))
    if not tests:
        return _all_failed(assignment, None, m["internal_all"], m["internal_all"], started, lang, True)
    headline = m["internal_all"] if grader_error and not any(t["status"] == "passed" for t in tests) else ""
    output = "\n\n".join(p for p in (headline, notes_text) if p)
    extra = None
    if collector.student_time:
        used, allowed = collector.student_time
        extra = {"student_seconds": round(used, 2), "budget_seconds": allowed}
    return _result(assignment, tests, output, started, grader_error, lang, extra)
