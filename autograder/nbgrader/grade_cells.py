"""The grade cells that call the hook: how to find them, what they print, what they may keep.

Shared by the snapshot (trusted grading), the preprocessors, the gradebook and the feedback.
"""
from __future__ import annotations

import re

from autograder.grading.results import as_result
from autograder.grading.scoring import POINTS
from autograder.nbgrader.snapshot import SnapshotError
from autograder.text.i18n import tr

# One call of the hook in a cell source: hidden_score("ps1_corr2d", "corr2d")
HOOK_CALL = re.compile(r"""hidden_score\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")


def is_hook_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and \
        HOOK_CALL.search(cell.get("source", "")) is not None


def without_stderr(outputs) -> list:
    """A cell's outputs less its stderr stream (nbgrader zeroes a grade cell with stderr output)."""
    return [o for o in outputs or [] if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def feedback_text(result, assignment: str, obj: str, lang: str = "es") -> str:
    """What a grade cell prints: the object's score and its failing tests' messages (never test
    source). General output of the grading (e.g. skipped cells) is shown too. result: a
    SubmissionResult or its results.json."""
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


# ------------------------------------------------------------------ a result as the kernel and the cells show it

def hook_view(result, assignment: str, notebook: str, digest: str, lang: str) -> dict:
    """What the kernel may see: per object of the assignment, its score, maximum and feedback
    text (result: a SubmissionResult or its results.json)."""
    result = as_result(result, assignment)
    scores = result.object_scores()
    return {"assignment": assignment, "notebook": notebook, "sha256": digest, "lang": lang,
            "objects": {obj: {"score": scores[obj].score, "max_score": scores[obj].max_score,
                              "feedback": feedback_text(result, assignment, obj, lang)}
                        for obj in POINTS[assignment]}}


def grade_cell_outputs(result, assignment: str, obj: str, lang: str, execution_count=None) -> list:
    """The outputs of a grade cell that calls hidden_score(assignment, obj): the trusted feedback
    on stdout and the object's points as the cell's result (nbgrader's partial credit). result:
    a SubmissionResult or its results.json; None: nothing graded (0 points)."""
    import nbformat
    if result is None:
        text, score = f"{obj}: 0 / {POINTS[assignment][obj]:g}", 0.0
    else:
        result = as_result(result, assignment)
        text, score = feedback_text(result, assignment, obj, lang), result.object_scores()[obj].score
    return [nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(score))},
                                   execution_count=execution_count)]


def error_view(assignment: str, notebook: str, exc: Exception, lang: str) -> dict:
    """The kernel's view when the snapshot could not be graded: the message it shows."""
    reason = exc.text(lang) if isinstance(exc, SnapshotError) else str(exc)
    return {"assignment": assignment, "notebook": notebook,
            "error": tr(lang, "el calificador no pudo calificar la entrega: {error}", error=reason)}
