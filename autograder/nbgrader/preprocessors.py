"""nbgrader's autograde preprocessors for this course (assignments/nbgrader_config.py):

    from autograder.nbgrader_hook import autograde_preprocessors
    c.Autograde.autograde_preprocessors = autograde_preprocessors()
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.converters.autograde import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from autograder.grading.scoring import POINTS
from autograder.nbgrader.grade_cells import (
    HOOK_CALL,
    error_view,
    grade_cell_outputs,
    hook_view,
    is_hook_cell,
    without_stderr,
)
from autograder.nbgrader.sanitize import SanitizeStudentOutputs
from autograder.nbgrader.snapshot import SnapshotError, Store
from autograder.nbgrader.trusted_grading import grade_cached, run_engine, settings
from autograder.sandboxed.kernel_hook import HookError


class StripHookStderr(NbGraderPreprocessor):
    """Drops stderr stream outputs of the grade cells that call hidden_score, right after
    execution: their grade is their result (or an error), never stray stderr noise."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_hook_cell(cell):
            cell.outputs = without_stderr(cell.get("outputs"))
        return cell, resources


def autograde_preprocessors(confined: bool = True) -> list:
    """confined=True (the default): SnapshotSubmission first (snapshot + trusted grading),
    ConfinedExecute instead of Execute (the kernel in the sandbox), SanitizeStudentOutputs (no
    script, iframe or event handler from the student's outputs reaches formgrader or the
    feedback) and TrustedGradeCells right after it (the grade cells show the trusted results).
    confined=False: nbgrader's own list with StripHookStderr and SanitizeStudentOutputs after
    Execute (the kernel runs unconfined and grades in its process tree)."""
    pps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    at = pps.index(Execute) if Execute in pps else 0
    if not confined:
        if StripHookStderr not in pps:
            pps.insert(at + 1, StripHookStderr)
        pps.insert(pps.index(StripHookStderr) + 1, SanitizeStudentOutputs)
        return pps
    from autograder.nbgrader.kernel import ConfinedExecute
    if Execute in pps:
        pps[at] = ConfinedExecute
    else:
        pps.insert(0, ConfinedExecute)
    # the student's outputs are cleaned as soon as they exist; the trusted results come after
    pps.insert(pps.index(ConfinedExecute) + 1, SanitizeStudentOutputs)
    pps.insert(pps.index(SanitizeStudentOutputs) + 1, TrustedGradeCells)
    pps.insert(0, SnapshotSubmission)
    return pps


class SnapshotSubmission(NbGraderPreprocessor):
    """Before execution: snapshot the submitted notebook, grade it (cached), write the kernel's
    view; leaves resources["autograder"] = {"result", "snapshot", "hook_results"}."""

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader") or {}
        student, assignment, notebook = info.get("student"), info.get("assignment"), info.get("notebook")
        if not (student and notebook) or assignment not in POINTS:
            return nb, resources
        lang, device = settings()
        cd = CourseDirectory(config=self.config)
        store = Store(cd.root, cd.autograded_directory)
        submitted = Path(cd.format_path(cd.submitted_directory, student, assignment)) / f"{notebook}.ipynb"
        ours = resources.setdefault("autograder", {})
        ours["store"] = str(store.root)     # the kernel manager reaches the warm service through it
        try:
            snap = store.take(assignment, student, notebook, submitted)
            result, hit = grade_cached(snap.path, assignment, lang=lang, device=device,
                                       cache_dir=store.cache_dir,
                                       grade=lambda p, a, **kw: run_engine(p, a, warm_store=store.root, **kw))
            self.log.info("autograder: %s/%s/%s graded (%s): %s / %s", assignment, student, notebook,
                          "cached" if hit else "now", result.get("score"), result.get("max_score"))
            ours.update(result=result, snapshot=str(snap.path))
            view = hook_view(result, assignment, notebook, snap.sha256, lang)
        except (SnapshotError, HookError, OSError) as exc:
            self.log.error("autograder: could not grade %s of %s: %s", notebook, student, exc)
            view = error_view(assignment, notebook, exc, lang)
        ours["hook_results"] = str(store.write_view(assignment, student, notebook, view))
        return nb, resources


class TrustedGradeCells(NbGraderPreprocessor):
    """After execution: the grade cells that call hidden_score show the trusted feedback and
    score of the snapshot; without a trusted result, their stderr output is dropped."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not is_hook_cell(cell):
            return cell, resources
        result = (resources.get("autograder") or {}).get("result")
        assignment = (resources.get("nbgrader") or {}).get("assignment")
        match = HOOK_CALL.search(cell.get("source", ""))
        obj = match.group(2) if match and match.group(1) == assignment else None
        if result is not None and obj in POINTS.get(assignment, {}):
            lang, _ = settings()
            cell.outputs = grade_cell_outputs(result, assignment, obj, lang, cell.get("execution_count"))
        else:
            cell.outputs = without_stderr(cell.get("outputs"))
        return cell, resources
