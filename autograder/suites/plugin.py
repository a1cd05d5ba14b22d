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

import json
import os
import re

import pytest

from autograder.grading import scoring
from autograder.text.feedback import Feedback, Say
from autograder.text.i18n import N_, tr
from autograder.suites.marker import MARKER, graded_test
from autograder.suites.replies import REPLY_SHAPES

DEFAULT_TIMEOUT = 10.0


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
        _log_instructor(student.path, f"{item.nodeid}: {type(exc).__name__}: {exc} "
                                      f"(counted as the student's failure: {reason})")
        raise student.tampered_feedback(None, reason) from exc


def _is_student_exception(exc):
    try:
        from autograder.sandbox import StudentCrash, StudentError
    except ImportError:
        return False
    return isinstance(exc, (StudentError, StudentCrash))


def _log_instructor(path, message):
    import sys

    try:
        print(f"[autograder] {path}: {message}", file=sys.__stderr__ or sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - logging must not fail grading
        pass


# ---------------------------------------------------------------------------------------------
# "Implement it yourself", decided in this trusted process from the source the grader loaded
# (never from anything the worker reports). The rule lives in the student kit
# (cursocnn/implementation_check.py) so the self-check applies the very same one; it is loaded
# here by file path, next to this package, never through sys.path (a submission folder may
# carry its own cursocnn/).

_CHECK_MODULE = None


def implementation_check():
    global _CHECK_MODULE
    if _CHECK_MODULE is None:
        import importlib.util
        import sys

        from autograder import locations

        candidates = [os.path.join(locations.PACKAGE_PARENT, "assignments", "cursocnn"),  # checkout
                      os.path.join(locations.PACKAGE_PARENT, "cursocnn")]                  # installed
        for folder in candidates:
            path = os.path.join(folder, "implementation_check.py")
            if os.path.isfile(path):
                spec = importlib.util.spec_from_file_location("_autograder_implementation_check", path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module  # dataclasses look their module up there
                spec.loader.exec_module(module)
                _CHECK_MODULE = module
                break
        else:
            raise RuntimeError("cursocnn/implementation_check.py not found next to autograder/")
    return _CHECK_MODULE


# ---------------------------------------------------------------------------------------------
# Loading the submission.


def _fallback_cells(path, lang="es"):
    """Used only while autograder.intake.submission is unavailable: .py text or an .ipynb's code cells."""
    from autograder.intake import safefiles  # never through a link, never a special file

    try:
        if safefiles.lkind(path) == "directory":
            found = [p for p, kind in safefiles.walk(path, max_depth=1)
                     if kind == "file" and p[-1].endswith((".ipynb", ".py"))]
            if len(found) != 1:
                return None, tr(lang, "la carpeta tiene {n} archivos .ipynb/.py (se esperaba uno)",
                                n=len(found))
            path = os.path.join(path, found[0][0])
        text = safefiles.read_regular(path, 20 << 20).decode("utf-8", "replace")
    except safefiles.Refused as exc:
        return None, exc.text(lang)
    if path.endswith(".ipynb"):
        nb = json.loads(text)
        cells = []
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else src
                lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
                cells.append([f"celda {i + 1}", "\n".join(lines)])
        return cells, None
    return [[os.path.basename(path), text]], None


def load_cells(path, assignment=None, lang="es"):
    """(cells, notes, fatal) of a submission; notes and fatal in `lang`."""
    try:
        from autograder.intake.submission import load_submission
    except ImportError:
        cells, fatal = _fallback_cells(path, lang)
        return cells, [], fatal
    sub = load_submission(path, assignment, lang)
    fatal = getattr(sub, "fatal", None)
    return getattr(sub, "cells", None), list(getattr(sub, "notes", []) or []), fatal


def _fmt_notes(notes, lang, limit=5):
    from autograder.text.student_notes import note_text
    return "\n".join(f"  - {note_text(lang, note)}" for note in list(notes)[:limit])


_FRAME = re.compile(r'^\s*File "<student:(?P<label>[^"\n]*)>", line (?P<line>\d+), in (?P<func>[^\n]+)$')


def student_frames(traceback_text: str) -> list[tuple[str, int, str, str]]:
    """[(cell or file label, line, function, code line or "")] of the student's frames in a
    worker traceback (autograder/sandboxed/worker/main.py keeps only those), outermost first."""
    frames = []
    lines = (traceback_text or "").splitlines()
    for i, text in enumerate(lines):
        m = _FRAME.match(text)
        if not m:
            continue
        code = ""
        if i + 1 < len(lines) and not _FRAME.match(lines[i + 1]) and lines[i + 1].startswith("    "):
            code = lines[i + 1].strip()
        frames.append((m.group("label"), int(m.group("line")), m.group("func").strip(), code))
    return frames


def student_location(traceback_text: str, lang: str | None = "es") -> str:
    """Text naming where the exception last passed through the student's code (the innermost
    student frame, even when the exception itself was raised inside torch), plus the student's
    call chain when there is more than one frame; "" without student frames."""
    frames = student_frames(traceback_text)
    if not frames:
        return ""
    label, line, func, code = frames[-1]
    shown = ": `" + code + "`" if code else ""
    text = "\n" + tr(lang, "Dónde: {label}, línea {line}, en {function}{code}", label=label,
                     line=line, function=func, code=shown)
    if len(frames) > 1:
        chain = " → ".join(f"{f} ({lab}, {ln})" for lab, ln, f, _ in frames[-5:])
        text += "\n" + tr(lang, "Llamadas en tu código: {chain}", chain=chain)
    return text


# ---------------------------------------------------------------------------------------------
# The `student` fixture.


class Student:
    """The student's submission, running in the sandbox.

    - `call(probe, *args, timeout=..., **kw)`: raw Session.call (StudentError/StudentCrash
      propagate), as in docs/architecture.md.
    - `probe(obj, probe, *args, inputs=None, **kw)`: the same, but a missing name, a stub, a
      forbidden built-in, any student exception, a timeout or a crash become a Feedback failure
      naming `obj`; `inputs` ({name: value}) describes the input in those messages.
    - `run(call, guard=False, isolate=(), seed=None, count=False, full=False, timeout=...)`: call
      the student's function as a suites.Call says (probe call_student, the call's inputs
      described in failures); returns its value (or the whole probe record with full=True).
    - `function(name, *args, kwargs=None, ...)`: the same from loose arguments.
    - `say`: feedback in the session's language (autograder.text.feedback.Say).
    """

    def __init__(self, path, assignment, lang="es", load_timeout=120.0, budget=None):
        from autograder.grading.budget import StudentBudget, default_seconds

        self.path, self.assignment, self.lang = path, assignment, lang
        self.say = Say(lang)
        self.load_timeout = load_timeout
        self.budget = StudentBudget(budget or default_seconds(assignment))
        self._session = None
        self._fatal = None            # raises the Feedback of a submission that cannot be run
        self.submission_notes = []
        self._loaded = False
        self._cells = None
        self._analysis = None
        self.malformed_replies = []   # probes whose reply had a shape the genuine probe never sends
        self._current_obj = None      # the graded object of the probe() call in progress
        self._stubs_reported = set()   # objects whose "not implemented" message was given once

    # -- session -------------------------------------------------------------------------
    def _load(self):
        if self._loaded:
            return
        self._loaded = True
        from autograder.sandbox import Session, StudentCrash

        try:
            cells, notes, fatal = load_cells(self.path, self.assignment, self.lang)
        except Exception as exc:  # noqa: BLE001 - unreadable submission
            cells, notes, fatal = None, [], f"{type(exc).__name__}: {exc}"
        self.submission_notes = notes
        self._cells = cells
        if fatal or not cells:
            reason = fatal or self.say("no contiene código.")
            self._fatal = lambda: self.say.wrong("No pudimos leer tu entrega: {reason}", reason=reason)
            return
        try:
            session = Session(cells, self.assignment, load_timeout=self.load_timeout,
                              budget=self.budget)
            session.__enter__()
            self._session = session
        except StudentCrash as exc:
            reason = getattr(exc, "reason", "")
            if reason == "budget":
                self._fatal = self._out_of_time
            elif reason == "timeout":
                self._fatal = lambda: self.say.wrong(
                    "Tu código tardó demasiado en cargarse (¿quedó una celda de entrenamiento o "
                    "un bucle infinito fuera de las funciones?).")
            else:
                self._fatal = lambda: self.say.wrong(
                    "El proceso que ejecuta tu código terminó mientras se cargaba ({reason}).",
                    reason=reason)

    def _require_session(self):
        self._load()
        if self._fatal:
            self._fatal()
        if self.budget.exhausted:
            self._out_of_time()
        return self._session

    def _out_of_time(self):
        self.say.wrong("Prueba no ejecutada por tiempo agotado: tu código ya usó los {seconds:g} s "
                       "que tiene cada entrega para cargarse y ejecutarse (contando las recargas "
                       "tras un fallo). ¿Queda un bucle infinito o algo muy lento?",
                       seconds=self.budget.seconds)

    @property
    def defined(self):
        self._load()
        return set(self._session.defined) if self._session else set()

    @property
    def load_notes(self):
        self._load()
        notes = list(self.submission_notes)
        if self._session:
            notes += list(self._session.load_notes)
        return notes

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None

    def call(self, probe, *args, timeout=DEFAULT_TIMEOUT, **kwargs):
        from autograder.sandbox import StudentCrash

        session = self._require_session()
        if probe == "call_student" and kwargs.get("guard") and args:
            self.check_implementation(args[0], kwargs.get("isolate") or ())
            from autograder.grading.registry import get  # the worker blocks the assignment's built-ins
            kwargs["guard"] = list(get(self.assignment).forbidden)
        try:
            reply = session.call(probe, *args, timeout=timeout, **kwargs)
        except StudentCrash as exc:
            if getattr(exc, "reason", "") == "budget":
                self._out_of_time()
            raise
        shape_ok = REPLY_SHAPES.get(probe)
        if shape_ok is not None and not shape_ok(reply):
            self.malformed_replies.append(probe)
            obj = self._current_obj or (args[0] if args and isinstance(args[0], str) else probe)
            raise self.tampered_feedback(obj, f"malformed reply to {probe}")
        return reply

    # -- "implement it yourself" and tampering, decided here -------------------------------
    def static_analysis(self):
        """The implementation_check verdicts of the cells this process loaded (None when the
        submission could not be read), computed in a child process capped in time and memory:
        an overrun makes every guarded object "cannot verify" and is charged to this
        submission's budget, never to another student's."""
        self._load()
        if self._analysis is None and self._cells:
            rule = implementation_check()
            seconds = min(rule.ANALYSIS_SECONDS, max(1.0, self.budget.left()))
            self._analysis, took = rule.analyse_bounded(self._cells, seconds=seconds)
            self.budget.charge(took)
            if self._analysis.failure:
                _log_instructor(self.path, f"static analysis overran its {seconds:g} s / "
                                           f"{rule.ANALYSIS_MEMORY >> 20} MB cap: every guarded "
                                           "object is unverifiable")
        return self._analysis

    def check_implementation(self, name, isolate=()):
        """Fail (Feedback, flagged for review) when the static rule cannot vouch for `name`."""
        analysis = self.static_analysis()
        if analysis is None:
            return
        verdict = analysis.verdict(name, tuple(isolate))
        if verdict.ok:
            return
        first = verdict.first
        key = verdict.kind
        exc = Feedback(verdict.message(self.lang) + "\n" + self.say.explain(key), key)
        exc.review = {"object": name, "kind": key, "construct": first.construct,
                      "where": first.where_en(), "counter": bool(first.counter),
                      "at_load": bool(first.at_load)}
        raise exc

    def tamper_reason(self):
        """Why a grader-side exception may be the student's doing (None: it is not)."""
        if self.malformed_replies:
            return f"malformed reply to {self.malformed_replies[0]}"
        analysis = self.static_analysis()
        found = analysis.tamper_findings() if analysis is not None else []
        if found:
            return f"`{found[0].construct}` at {found[0].where_en()}"
        return None

    def tampered_feedback(self, obj, reason):
        graded = obj + ": " if obj else ""
        text = self.say("{graded}la respuesta del proceso que ejecuta tu código no tiene el formato "
                        "que envía el corrector, así que no podemos calificar esta prueba.",
                        graded=graded)
        exc = Feedback(text + "\n" + self.say.explain("tampered"), "tampered")
        exc.review = {"object": obj, "kind": "tampered", "construct": reason}
        return exc

    # -- friendly calls --------------------------------------------------------------------
    def require(self, name):
        self._require_session()
        if name not in self.defined:
            self._missing(name)

    def _missing(self, name):
        if name[:1].isupper():
            text = self.say("No encontramos la clase {name} en tu entrega.", name=name)
        else:
            text = self.say("No encontramos la función {name} en tu entrega.", name=name)
        notes = self.load_notes
        if notes:
            text += "\n" + self.say("Al cargar tu código pasó lo siguiente (quizás por eso no quedó "
                                    "definida):") + "\n" + _fmt_notes(notes, self.lang)
        raise Feedback(text)

    def probe(self, obj, probe, *args, timeout=DEFAULT_TIMEOUT, inputs=None, **kwargs):
        from autograder.sandbox import StudentCrash, StudentError
        from autograder.text.student_notes import crash_detail

        self.require(obj)
        say, where = self.say, self.say.inputs(inputs)
        self._current_obj = obj
        try:
            return self.call(probe, *args, timeout=timeout, **kwargs)
        except StudentError as exc:
            t, msg, tb = exc.type_name, exc.message, (exc.traceback_text or "").strip()
            if t == "StudentNameMissing":
                self._missing(obj)
            if t == "NotImplementedError":
                if obj in self._stubs_reported:  # one explanation per object, not one per test
                    raise Feedback(say("{obj} todavía no está implementada (ver el primer mensaje "
                                       "de {obj}).", obj=obj), "stub")
                self._stubs_reported.add(obj)
                say.wrong(_STUB_CLASS if obj[:1].isupper() else _STUB_FUNCTION, "stub", obj=obj)
            if t == "ForbiddenBuiltinError":
                # the static rule let it through and the in-worker guard caught it: an instructor
                # should see how (the rule may need a new spelling)
                used = msg.split(" ", 1)[0]
                say.wrong("{obj} usa {used}. El ejercicio pide implementar la operación sin las "
                          "funciones de convolución/pooling de PyTorch (con bucles, slicing, sumas, "
                          "matmul, Tensor.unfold o einsum).", "forbidden",
                          review={"object": obj, "kind": "forbidden", "construct": used[:120],
                                  "where": "worker guard"}, obj=obj, used=used)
            if t == "UnsupportedResult":
                say.wrong("{obj} devolvió un objeto que no podemos revisar: {message}{where}",
                          obj=obj, message=msg, where=where)
            say.wrong("{obj} lanzó una excepción: {type}: {message}{at}{where}", obj=obj, type=t,
                      message=msg, at=student_location(tb, self.lang), where=where)
        except StudentCrash as exc:
            reason = getattr(exc, "reason", "")
            if reason == "timeout":
                say.wrong("{obj} tardó más de {timeout:g} s y la detuvimos (¿un bucle infinito o "
                          "demasiado lento?).{where}", obj=obj, timeout=timeout, where=where)
            say.wrong("El proceso que ejecuta tu código terminó de forma inesperada mientras "
                      "corría {obj} ({reason}: {detail}).{where}", obj=obj, reason=reason,
                      detail=crash_detail(self.lang, exc), where=where)
        finally:
            self._current_obj = None

    def function(self, name, *args, kwargs=None, timeout=DEFAULT_TIMEOUT, guard=False,
                 isolate=(), seed=None, count=False, full=False, inputs=None):
        record = self.probe(name, "call_student", name, tuple(args), dict(kwargs or {}),
                            guard=guard, isolate=tuple(isolate), seed=seed, count=count,
                            timeout=timeout, inputs=inputs)
        return record if full else record["value"]

    def run(self, call, **options):
        """The student's call.name(*call.values, **call.kwargs) (options: see function)."""
        return self.function(call.name, *call.values, kwargs=call.kwargs, inputs=call.inputs,
                             **options)


_STUB_CLASS = N_("La clase {obj} todavía no está implementada (NotImplementedError): completa su "
                 "celda de solución y borra la línea `raise NotImplementedError()`.")
_STUB_FUNCTION = N_("La función {obj} todavía no está implementada (NotImplementedError): "
                    "completa su celda de solución y borra la línea `raise NotImplementedError()`.")


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
