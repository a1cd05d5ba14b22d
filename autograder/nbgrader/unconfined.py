"""The hook where no trusted view exists (an instructor running the source notebook, `nbgrader
validate`, an autograde with `require_confinement = False`): grade the notebook being run.

Which file is graded:

1. `$AUTOGRADER_NOTEBOOK`, when set;
2. during `nbgrader autograde` (`$NBGRADER_EXECUTION == "autograde"`) the kernel runs in
   `<course>/autograded/<student>/<assignment>/`; the notebook graded is the student's own file
   `<course>/submitted/<student>/<assignment>/<name>.ipynb`, `<name>` being the notebook of that
   folder whose grade cells call this object;
3. otherwise the notebook in the current directory that calls `hidden_score` for this object
   (`<assignment>.ipynb` first).

The grade never depends on the student's copy of any test cell: the engine runs the hidden
suites against the student's definitions only. It is graded with `autograder.grading.engine` in a
fresh Python process, once per notebook content (cached).

Environment: AUTOGRADER_LANG (es|en, default es), AUTOGRADER_DEVICE (default auto),
AUTOGRADER_HOOK_TIMEOUT (seconds for one grading, default 3000), AUTOGRADER_NOTEBOOK.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from autograder.grading.results import as_result
from autograder.grading.scoring import POINTS
from autograder.intake import safefiles
from autograder.nbgrader.grade_cells import HOOK_CALL, feedback_text
from autograder.nbgrader.trusted_grading import grade_cached
from autograder.sandboxed.kernel_hook import HookError, not_graded, quiet
from autograder.text.i18n import tr


def _is_file(path: Path) -> bool:
    """A regular file, not reached through a link (autograder/intake/safefiles.py)."""
    return safefiles.lkind(path) == "file"


def _calls(nb_path: Path, assignment: str, obj: str) -> bool:
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
    memoised in this process and in a private per-user file cache."""
    # a notebook the instructor names may be a link (examples/); the unconfined kernel that
    # calls this protects nothing anyway (the confined one never gets here)
    path = os.path.realpath(path)
    return grade_cached(path, assignment, lang=lang, device=device, cache_dir=_cache_dir())[0]


def hidden_score(assignment: str, obj: str) -> float:
    """Print `obj`'s feedback to stdout and return its points, grading the notebook being run."""
    lang = os.environ.get("AUTOGRADER_LANG", "es")
    if assignment not in POINTS or obj not in POINTS[assignment]:
        raise HookError(not_graded(assignment, obj, lang) + " (autograder.grading.scoring.POINTS)")
    device = os.environ.get("AUTOGRADER_DEVICE", "auto")
    with quiet():
        path = locate_notebook(assignment, obj, lang=lang)
        result = as_result(grade_notebook(path, assignment, lang=lang, device=device), assignment)
        score = result.object_scores()[obj].score
        text = feedback_text(result, assignment, obj, lang)
    print(text, flush=True)
    return float(score)
