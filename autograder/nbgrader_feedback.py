"""What `nbgrader generate_feedback` shows of the grade cells: never the hidden call.

nbgrader restores each grade cell's full source at autograde, hidden tests included, and its
feedback HTML shows that source. Ours is two lines that name the grader's hook
(`from autograder.nbgrader_hook import hidden_score` / `hidden_score("ps1_corr2d", "corr2d")`);
`HideHiddenTests` replaces them, in the feedback copy only, with a Spanish comment. The cell
outputs (the trusted feedback text and score, autograder.nbgrader_snapshot.TrustedGradeCells)
stay as they are. In nbgrader_config.py:

    from autograder.nbgrader_feedback import feedback_preprocessors
    c.GenerateFeedback.preprocessors = feedback_preprocessors()
"""
from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from .nbgrader_hook import is_hook_cell

PLACEHOLDER = "# Pruebas ocultas del corrector: ver el resultado abajo"
_HIDDEN_REGION = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS.*?^[ \t]*#+[ \t]*END HIDDEN TESTS[^\n]*$",
                            re.MULTILINE | re.DOTALL)
_HOOK_LINE = re.compile(r"hidden_score|nbgrader_hook")


def hide_hook_lines(source: str) -> str:
    """`source` with each hidden-tests region, and any other line that names the hook, replaced
    by one PLACEHOLDER line (consecutive ones merged)."""
    source = _HIDDEN_REGION.sub(PLACEHOLDER, source)
    lines = []
    for line in source.splitlines():
        if _HOOK_LINE.search(line):
            line = PLACEHOLDER
        if line == PLACEHOLDER and lines and lines[-1] == PLACEHOLDER:
            continue
        lines.append(line)
    return "\n".join(lines)


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback notebooks: the grade cells that call hidden_score show PLACEHOLDER instead of the
    call (their outputs are kept)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_hook_cell(cell):
            cell.source = hide_hook_lines(cell.source)
        return cell, resources


def feedback_preprocessors() -> list:
    """nbgrader's GenerateFeedback preprocessors with HideHiddenTests first."""
    from nbgrader.converters.generate_feedback import GenerateFeedback
    pps = list(GenerateFeedback.class_traits()["preprocessors"].default())
    return [HideHiddenTests, *(p for p in pps if p is not HideHiddenTests)]
