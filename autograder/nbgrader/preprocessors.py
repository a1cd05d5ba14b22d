"""nbgrader's autograde preprocessors for this course (assignments/nbgrader_config.py):

    from autograder.nbgrader_hook import autograde_preprocessors
    c.Autograde.autograde_preprocessors = autograde_preprocessors()
"""
from __future__ import annotations

from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from autograder.nbgrader.grade_cells import is_hook_cell, without_stderr
from autograder.nbgrader.sanitize import SanitizeStudentOutputs


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
    from autograder.nbgrader.snapshot import SnapshotSubmission, TrustedGradeCells
    if Execute in pps:
        pps[at] = ConfinedExecute
    else:
        pps.insert(0, ConfinedExecute)
    # the student's outputs are cleaned as soon as they exist; the trusted results come after
    pps.insert(pps.index(ConfinedExecute) + 1, SanitizeStudentOutputs)
    pps.insert(pps.index(SanitizeStudentOutputs) + 1, TrustedGradeCells)
    pps.insert(0, SnapshotSubmission)
    return pps
