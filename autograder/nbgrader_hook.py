"""The name the course's notebooks and nbgrader configurations import; kept for released material.

    from autograder.nbgrader_hook import hidden_score              # a grade cell's hidden lines
    from autograder.nbgrader_hook import autograde_preprocessors   # nbgrader_config.py

A confined kernel never imports this file: its stub package holds autograder/sandboxed/
kernel_hook.py under this name. Here (an unconfined kernel, an instructor running the source
notebook, `nbgrader validate`) hidden_score reads the trusted view when there is one and
otherwise grades the notebook by itself (autograder/nbgrader/unconfined.py).
"""
import os

from autograder.sandboxed.kernel_hook import VIEW_ENV, HookError
from autograder.sandboxed.kernel_hook import hidden_score as _from_view

__all__ = ["HookError", "autograde_preprocessors", "hidden_score"]


def hidden_score(assignment: str, obj: str) -> float:
    if os.environ.get(VIEW_ENV):
        return _from_view(assignment, obj)
    from autograder.nbgrader.unconfined import hidden_score as grade_and_score
    return grade_and_score(assignment, obj)


def autograde_preprocessors(confined: bool = True) -> list:
    from autograder.nbgrader.preprocessors import autograde_preprocessors as preprocessors
    return preprocessors(confined)
