"""The nbgrader side of the grader: what the hidden part of each grade cell calls.

Every grade cell of the course notebooks hides the two lines

    from autograder.nbgrader_hook import hidden_score
    hidden_score("ps1_corr2d", "corr2d")

`hidden_score` prints the feedback of that object's failing tests to stdout and returns the
object's points as a float: nbgrader reads the cell's `execute_result` as partial credit
(`nbgrader.utils.get_partial_grade`). Nothing is ever written to stderr, since nbgrader zeroes a
grade cell with any stderr output.

Under `nbgrader autograde` with the course's configuration (autograde_preprocessors() below) the
kernel is confined (autograder/nbgrader_kernel.py) and sees only a stub `autograder` package
holding this file. The notebook was already graded on the trusted side, from a snapshot of the
submitted file taken before the kernel started (autograder/nbgrader_snapshot.py); the kernel gets
that student's per-object scores and feedback read-only in the JSON file named by
$AUTOGRADER_HOOK_RESULTS, and hidden_score only prints them. Whatever it prints is advisory: after
execution nbgrader's process replaces the grade cells' outputs with the trusted ones, and
`autograder grade --nbgrader ROOT --assignment ID` (autograder/nbgrader_gradebook.py) is the
verdict.

Without $AUTOGRADER_HOOK_RESULTS (an instructor running the source notebook, `nbgrader validate`,
an unconfined autograde) hidden_score grades a notebook file itself with `autograder.engine.grade`
in a fresh Python process, once per notebook content (cached). Which file:

1. `$AUTOGRADER_NOTEBOOK`, when set;
2. during `nbgrader autograde` (`$NBGRADER_EXECUTION == "autograde"`) the kernel runs in
   `<course>/autograded/<student>/<assignment>/`; the notebook graded is the student's own file
   `<course>/submitted/<student>/<assignment>/<name>.ipynb`, `<name>` being the notebook of that
   folder whose grade cells call this object;
3. otherwise the notebook in the current directory that calls `hidden_score` for this object
   (`<assignment>.ipynb` first).

The grade never depends on the student's copy of any test cell: the engine runs the hidden
suites against the student's definitions only.

Environment: AUTOGRADER_LANG (es|en, default es), AUTOGRADER_DEVICE (default auto),
AUTOGRADER_HOOK_TIMEOUT (seconds for one grading, default 3000), AUTOGRADER_NOTEBOOK,
AUTOGRADER_HOOK_RESULTS (set by the confined kernel).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

try:
    from .i18n import tr
except ImportError:  # the confined kernel's stub package holds only this module: what it prints
    # comes rendered in the trusted view, and its own errors stay in the source language
    def tr(lang, message, /, **fields):
        return message.format(**fields) if fields else message

# One call of the hook in a cell source: hidden_score("ps1_corr2d", "corr2d")
HOOK_CALL = re.compile(r"""hidden_score\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")


class HookError(RuntimeError):
    """The hook could not grade (notebook not found, grader crashed)."""


# ------------------------------------------------------------------ a grade cell's text

def feedback_text(result, assignment: str, obj: str, lang: str = "es") -> str:
    """What a grade cell prints: the object's score and its failing tests' messages (never test
    source). General output of the grading (e.g. skipped cells) is shown too. result: a
    SubmissionResult or its results.json."""
    from .results import as_result      # not at the top: the confined kernel's stub has no results.py
    result = as_result(result, assignment)
    entry = result.object_scores()[obj]
    lines = [tr(lang, "{obj}: {score:g} / {max:g} puntos", obj=obj, score=entry.score, max=entry.max_score)]
    if not entry.tests:
        lines.append("  " + tr(lang, "No se pudo evaluar {obj}.", obj=obj))
    elif not entry.failed:
        lines.append("  " + tr(lang, "Todas las pruebas ocultas de {obj} pasan.", obj=obj))
    for test in entry.failed:
        score, points = float(test.score or 0), float(test.test.points or 0)
        lines.append(f"  ✗ {test.test.title(result.lang)} ({score:g}/{points:g})")
        for line in test.output.strip().splitlines():
            lines.append("      " + line)
    general = result.output.strip()
    if general and (entry.failed or not entry.tests):
        lines.append(tr(lang, "Observaciones generales:"))
        lines.extend("  " + line for line in general.splitlines())
    return "\n".join(lines)


# ------------------------------------------------------------------ locating the notebook

def _is_file(path: Path) -> bool:
    """A regular file, not reached through a link (autograder/safefiles.py)."""
    from . import safefiles
    return safefiles.lkind(path) == "file"


def _calls(nb_path: Path, assignment: str, obj: str) -> bool:
    from . import safefiles
    try:
        text = safefiles.read_regular(nb_path, 64 << 20).decode("utf-8")
    except (safefiles.Refused, UnicodeDecodeError):
        return False
    return any(m.groups() == (assignment, obj) for m in HOOK_CALL.finditer(text.replace('\\"', '"')))


def _pick(folder: Path, assignment: str, obj: str) -> Path | None:
    """The notebook of `folder` whose cells call hidden_score(assignment, obj)."""
    if not folder.is_dir():
        return None
    preferred = folder / f"{assignment}.ipynb"
    candidates = [preferred] if _is_file(preferred) else []
    candidates += sorted(p for p in folder.glob("*.ipynb") if p != preferred)
    for path in candidates:
        if _calls(path, assignment, obj):
            return path
    return None


def locate_notebook(assignment: str, obj: str, cwd: str | os.PathLike | None = None,
                    lang: str = "es") -> Path:
    """The notebook file to grade for a grade cell of `assignment`/`obj` (see module doc)."""
    env = os.environ.get("AUTOGRADER_NOTEBOOK")
    if env:
        return Path(env)
    cwd = Path(cwd or os.getcwd()).resolve()
    here = _pick(cwd, assignment, obj)
    parts = cwd.parts
    if len(parts) >= 4:
        root, step, student, folder = Path(*parts[:-3]), parts[-3], parts[-2], parts[-1]
        autograding = os.environ.get("NBGRADER_EXECUTION") == "autograde" or step == "autograded"
        if autograding:
            submitted = root / "submitted" / student / folder
            if here is not None and _is_file(submitted / here.name):
                return submitted / here.name
            if here is None:
                found = _pick(submitted, assignment, obj)
                if found is None and _is_file(submitted / f"{assignment}.ipynb"):
                    found = submitted / f"{assignment}.ipynb"
                if found is not None:
                    return found
    if here is not None:
        return here
    raise HookError(tr(lang, "No encuentro el cuaderno a calificar para {assignment}/{obj} (directorio "
                          "actual: {cwd}). Define AUTOGRADER_NOTEBOOK con su ruta.",
                       assignment=assignment, obj=obj, cwd=cwd))


# ------------------------------------------------------------------ grading (cached)

def _cache_dir() -> Path | None:
    """A per-user cache folder that nobody else can write (else no file cache: on a shared
    machine another user could plant results)."""
    path = Path(tempfile.gettempdir()) / f"cnn-autograder-hook-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
    except OSError:
        return None
    if not path.is_dir() or path.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return path


def grade_notebook(path: str | os.PathLike, assignment: str, *, lang: str = "es", device: str = "auto") -> dict:
    """engine.grade(path) once per (notebook content, assignment, lang, device, grader code):
    memoised in this process and in a private per-user file cache (unconfined kernels only)."""
    from .nbgrader_snapshot import grade_cached
    # a notebook the instructor names may be a link (examples/); the unconfined kernel that
    # calls this protects nothing anyway (the confined one never gets here)
    path = os.path.realpath(path)
    return grade_cached(path, assignment, lang=lang, device=device, cache_dir=_cache_dir())[0]


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
def _quiet():
    """No warnings and no stderr while the hook works."""
    _silence_stderr()
    if sys.stderr is not _SILENCED[0]:      # replaced again since (e.g. by student code)
        sys.stderr = _SILENCED[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ------------------------------------------------------------------ nbgrader preprocessor

def is_hook_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and \
        HOOK_CALL.search(cell.get("source", "")) is not None


def without_stderr(outputs) -> list:
    """A cell's outputs less its stderr stream (nbgrader zeroes a grade cell with stderr output)."""
    return [o for o in outputs or [] if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def _make_strip_class():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class StripHookStderr(NbGraderPreprocessor):
        """Drops stderr stream outputs of the grade cells that call hidden_score, right after
        execution: their grade is their result (or an error), never stray stderr noise."""

        def preprocess_cell(self, cell, resources, cell_index):
            if is_hook_cell(cell):
                cell.outputs = without_stderr(cell.get("outputs"))
            return cell, resources

    StripHookStderr.__module__ = __name__
    StripHookStderr.__qualname__ = "StripHookStderr"
    return StripHookStderr


def __getattr__(name):          # lazy: the kernel imports this module and must stay light
    if name == "StripHookStderr":
        cls = _make_strip_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def autograde_preprocessors(confined: bool = True) -> list:
    """nbgrader's autograde preprocessors for this course. In nbgrader_config.py:

        from autograder.nbgrader_hook import autograde_preprocessors
        c.Autograde.autograde_preprocessors = autograde_preprocessors()

    confined=True (the default): SnapshotSubmission first (snapshot + trusted grading),
    ConfinedExecute instead of Execute (the kernel in the sandbox), SanitizeStudentOutputs (no
    script, iframe or event handler from the student's outputs reaches formgrader or the
    feedback) and TrustedGradeCells right after it (the grade cells show the trusted results).
    confined=False: nbgrader's own list with StripHookStderr and SanitizeStudentOutputs after
    Execute (the kernel runs unconfined and grades in its process tree)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute
    from .nbgrader_sanitize import SanitizeStudentOutputs
    pps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    at = pps.index(Execute) if Execute in pps else 0
    if not confined:
        strip = __getattr__("StripHookStderr")
        if strip not in pps:
            pps.insert(at + 1, strip)
        pps.insert(pps.index(strip) + 1, SanitizeStudentOutputs)
        return pps
    from .nbgrader_kernel import ConfinedExecute
    from .nbgrader_snapshot import SnapshotSubmission, TrustedGradeCells
    if Execute in pps:
        pps[at] = ConfinedExecute
    else:
        pps.insert(0, ConfinedExecute)
    # the student's outputs are cleaned as soon as they exist; the trusted results come after
    pps.insert(pps.index(ConfinedExecute) + 1, SanitizeStudentOutputs)
    pps.insert(pps.index(SanitizeStudentOutputs) + 1, TrustedGradeCells)
    pps.insert(0, SnapshotSubmission)
    return pps


# ------------------------------------------------------------------ the hook

def _trusted_view(path: str, assignment: str, obj: str, lang: str = "es") -> tuple[str, float]:
    """(feedback, points) of `obj` from the trusted grading's view (nbgrader_snapshot.hook_view)."""
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
        raise HookError(_not_graded(assignment, obj, lang))
    return str(entry.get("feedback", "")), float(entry.get("score") or 0.0)


def _not_graded(assignment, obj, lang):
    return tr(lang, "{assignment}/{obj} no se califica", assignment=assignment, obj=obj)


def hidden_score(assignment: str, obj: str) -> float:
    """Print `obj`'s feedback to stdout and return its points (a float nbgrader takes as the
    cell's partial credit): from the trusted view when the kernel is confined, else by grading
    the notebook being run (cached)."""
    lang = os.environ.get("AUTOGRADER_LANG", "es")
    view = os.environ.get("AUTOGRADER_HOOK_RESULTS")
    if view:
        with _quiet():
            text, score = _trusted_view(view, assignment, obj, lang)
        print(text, flush=True)
        return score
    from .scoring import POINTS
    if assignment not in POINTS or obj not in POINTS[assignment]:
        raise HookError(_not_graded(assignment, obj, lang) + " (autograder.scoring.POINTS)")
    device = os.environ.get("AUTOGRADER_DEVICE", "auto")
    from .results import as_result
    with _quiet():
        path = locate_notebook(assignment, obj, lang=lang)
        result = as_result(grade_notebook(path, assignment, lang=lang, device=device), assignment)
        score = result.object_scores()[obj].score
        text = feedback_text(result, assignment, obj, lang)
    print(text, flush=True)
    return float(score)
