"""Run the hidden suites on OUR OWN code in this process, without the sandbox: the fast path of
the mutation check (autograder/mutation/mutants.py grades hundreds of mutants of reference/).

NEVER use this for student code: nothing here isolates anything. It exists because the code it
runs is derived from reference/ by our own mutator, and it keeps every other part of grading
identical: the same suite test functions, the same `Student` helper of the plugin, the same probes
(autograder/sandboxed/worker/probes.py) and the same data-only round trip of arguments and results
(wire.encode / wire.decode, so a mutant that writes into its inputs cannot corrupt the trusted
side's tensors). Only the transport differs: a probe runs in this process under a SIGALRM
deadline instead of in a sandboxed worker. tests/mutation/test_mutation.py checks that both paths give
the same verdicts on a sample of mutants.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import signal

from autograder.sandbox import StudentCrash, StudentError
from autograder.sandboxed.worker import loader, wire
from autograder.sandboxed.worker.probes import PROBES
from autograder.suites.marker import graded_test
from autograder.suites.student import Student
from autograder.text.feedback import Feedback, Say


class _Deadline(BaseException):
    """Raised by the alarm inside a probe that runs past its timeout."""


@contextlib.contextmanager
def _deadline(seconds):
    def ring(signum, frame):
        raise _Deadline()

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _roundtrip(value):
    return wire.decode(wire.encode(value))


class InProcessSession:
    """The interface of autograder.sandbox.Session (defined, load_notes, call, close) over a
    namespace in this process. For trusted code only (see the module docstring)."""

    def __init__(self, cells):
        self.ns = {"__name__": "__student__"}
        defined, notes = loader.load_cells(cells, self.ns)
        self.defined = set(defined)
        self.load_notes = [tuple(n) for n in notes]

    def call(self, probe, *args, timeout=10.0, **kwargs):
        args, kwargs = _roundtrip(list(args)), _roundtrip(kwargs)
        try:
            with _deadline(timeout):
                value = PROBES[probe](self.ns, *args, **kwargs)
        except _Deadline:
            raise StudentCrash("timeout", "timeout", seconds=timeout) from None
        except Exception as exc:  # noqa: BLE001 - what the worker reports as a student error
            raise StudentError(type(exc).__name__, str(exc)[:2000], "") from None
        return _roundtrip(value)

    def close(self):
        self.ns.clear()


class TrustedStudent(Student):
    """The plugin's Student over an InProcessSession on a source text."""

    def __init__(self, source, assignment, lang="es"):
        super().__init__("<trusted>", assignment, lang)
        self.cells = [["mutante", source]]

    def _load(self):
        if self._loaded:
            return
        self._loaded = True
        self._session = InProcessSession(self.cells)


def suite_tests(assignment):
    """[(test name, graded object, points, function)] of autograder/suites/<id>/test_<id>.py,
    in the order pytest collects them: the module's definition order (a test made by a helper
    function is where it is assigned). The structural suite: the ps5 training file is not
    included."""
    module = importlib.import_module(f"autograder.suites.{assignment}.test_{assignment}")
    tests = []
    for name, fn in vars(module).items():
        declared = graded_test(fn) if name.startswith("test_") and inspect.isfunction(fn) else None
        if declared is not None:
            tests.append((name, declared.object, declared.points, fn))
    return tests


@contextlib.contextmanager
def one_thread():
    """torch on one intra-op thread, as in the worker (autograder/sandboxed/worker/main.py): on a loaded
    machine the tiny tensors of the suites run many times slower with a thread pool."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_suite(source, assignment, lang="es", *, first=None, stop_at_failure=False):
    """Grade a source text with the assignment's structural suite in this process.
    Returns {test name: {"object", "points", "passed", "message", "grader_error"}}.
    first: run the tests of this graded object first; stop_at_failure: stop after the first
    failed test (enough to know a mutant is killed)."""
    student = TrustedStudent(source, assignment, lang)
    fixtures = {"student": student, "lang": lang, "say": Say(lang)}  # the plugin's, as pytest gives them
    results = {}
    tests = sorted(suite_tests(assignment), key=lambda t: t[1] != first)
    try:
        for name, obj, points, fn in tests:
            wanted = inspect.signature(fn).parameters
            kwargs = {k: v for k, v in fixtures.items() if k in wanted}
            entry = {"object": obj, "points": points, "passed": False, "message": "",
                     "grader_error": False}
            try:
                fn(**kwargs)
                entry["passed"] = True
            except Feedback as exc:
                entry["message"] = exc.message
            except (StudentError, StudentCrash) as exc:
                entry["message"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - the engine reports these as grader errors
                entry["message"] = f"{type(exc).__name__}: {exc}"
                entry["grader_error"] = True
            results[name] = entry
            if stop_at_failure and not entry["passed"]:
                break
    finally:
        student.close()
    return results
