"""What the hidden part of a grade cell runs inside the confined nbgrader kernel.

Every grade cell of the course notebooks hides the two lines

    from autograder.nbgrader_hook import hidden_score
    hidden_score("ps1_corr2d", "corr2d")

A confined kernel (autograder/nbgrader/kernel.py) sees a stub `autograder` package whose
`nbgrader_hook.py` is this file, and nothing else of the grader: standard library only. The
notebook was already graded on the trusted side, from a snapshot of the submitted file taken
before the kernel started (autograder/nbgrader/snapshot.py); the kernel gets that student's
per-object scores and feedback read-only in the JSON file named by $AUTOGRADER_HOOK_RESULTS, and
hidden_score only prints them. Whatever it prints is advisory: after execution nbgrader's process
replaces the grade cells' outputs with the trusted ones.

`hidden_score` prints to stdout and returns the object's points as a float: nbgrader reads the
cell's `execute_result` as partial credit (`nbgrader.utils.get_partial_grade`). Nothing is ever
written to stderr, since nbgrader zeroes a grade cell with any stderr output.

Outside a confined kernel the grade cells import autograder/nbgrader_hook.py instead, which uses
this module for the view and grades by itself without one.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import warnings

VIEW_ENV = "AUTOGRADER_HOOK_RESULTS"


def tr(lang, message, /, **fields):
    """The kernel's own errors stay in the source language: what it prints of the grading comes
    rendered from the trusted side, in the course's language."""
    return message.format(**fields) if fields else message


class HookError(RuntimeError):
    """The hook could not grade (no view, notebook not found, grader crashed)."""


# ------------------------------------------------------------------ quiet stderr

class _Sink(io.TextIOBase):
    """Accepts writes and keeps them (never shown: stderr noise must not reach the cell)."""

    def __init__(self):
        self.buffer_text = []

    def writable(self):
        return True

    def write(self, s):
        self.buffer_text.append(s)
        return len(s)


_SILENCED: list = []


def _silence_stderr() -> None:
    """From the first grade cell on, nothing written to sys.stderr or to file descriptor 2
    reaches the notebook: nbgrader gives 0 to a grade cell with any stderr output before its
    result, and a student's background thread (or a C library) may write there at any time.
    Permanent for this kernel (hidden test cells run only when grading)."""
    if _SILENCED:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass
    sink = _Sink()
    sys.stderr = sink
    _SILENCED.append(sink)


@contextlib.contextmanager
def quiet():
    """No warnings and no stderr while the hook works."""
    _silence_stderr()
    if sys.stderr is not _SILENCED[0]:      # replaced again since (e.g. by student code)
        sys.stderr = _SILENCED[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ------------------------------------------------------------------ the trusted view

def not_graded(assignment, obj, lang):
    return tr(lang, "{assignment}/{obj} no se califica", assignment=assignment, obj=obj)


def trusted_view(path: str, assignment: str, obj: str, lang: str = "es") -> tuple[str, float]:
    """(feedback, points) of `obj` from the trusted grading's view (nbgrader/snapshot.hook_view)."""
    try:
        with open(path, encoding="utf-8") as fh:
            view = json.load(fh)
    except (OSError, ValueError) as exc:
        raise HookError(tr(lang, "no se pudo leer la calificación: {error}", error=exc)) from None
    if view.get("assignment") != assignment:
        raise HookError(tr(lang, "{assignment}/{obj}: este cuaderno es de {other}",
                           assignment=assignment, obj=obj, other=repr(view.get("assignment"))))
    if view.get("error"):   # rendered on the trusted side, in the course's language
        raise HookError(str(view["error"]))
    entry = (view.get("objects") or {}).get(obj)
    if not isinstance(entry, dict):
        raise HookError(not_graded(assignment, obj, lang))
    return str(entry.get("feedback", "")), float(entry.get("score") or 0.0)


def hidden_score(assignment: str, obj: str) -> float:
    """Print `obj`'s feedback to stdout and return its points, from the trusted view."""
    lang = os.environ.get("AUTOGRADER_LANG", "es")
    view = os.environ.get(VIEW_ENV)
    if not view:
        raise HookError(tr(lang, "{assignment}/{obj}: falta la calificación de confianza ({env})",
                           assignment=assignment, obj=obj, env=VIEW_ENV))
    with quiet():
        text, score = trusted_view(view, assignment, obj, lang)
    print(text, flush=True)
    return score
