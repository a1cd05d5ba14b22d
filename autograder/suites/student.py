"""The `student` fixture's object: the submission running in the sandbox, as the suites use it."""
from __future__ import annotations

from autograder.suites.implementation_rule import implementation_check
from autograder.suites.loading import fmt_notes, load_cells
from autograder.suites.replies import REPLY_SHAPES
from autograder.suites.tracebacks import student_location
from autograder.text.feedback import Feedback, Say
from autograder.text.i18n import N_

DEFAULT_TIMEOUT = 10.0


def log_instructor(path, message):
    import sys

    try:
        print(f"[autograder] {path}: {message}", file=sys.__stderr__ or sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - logging must not fail grading
        pass


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
                log_instructor(self.path, f"static analysis overran its {seconds:g} s / "
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
                                    "definida):") + "\n" + fmt_notes(notes, self.lang)
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
