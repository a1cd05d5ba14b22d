"""A per-submission wall-clock budget for the student's code: loads, reloads after a crash and
calls, together. Each call's timeout becomes min(its own, what is left); once the budget is
spent, the remaining tests fail at once (autograder/suites/plugin.py) and a batch moves on.

The grader's own work (the trusted LeNet training of ps5, comparisons, worker start-up) is not
charged. Defaults: the student time the reference solutions need on a loaded 2-core machine
(docs/benchmarks.md) with a wide margin, so an honest but slow submission is never cut short.
"""
from __future__ import annotations

from . import registry

# Seconds of student time per submission: each assignment's `budget` (autograder/suites/<id>/__init__.py).
# The reference needs 2-3 s (docs/benchmarks.md); the margin (40x and more) covers slow but
# honest loops, cold imports and a loaded machine.
DEFAULT_SECONDS = {a.id: a.budget for a in registry.assignments()}
FALLBACK_SECONDS = 240.0


def default_seconds(assignment: str | None) -> float:
    return DEFAULT_SECONDS.get(assignment or "", FALLBACK_SECONDS)


class StudentBudget:
    """Seconds of student time left for one submission (charged by sandbox.Session)."""

    def __init__(self, seconds: float):
        if not seconds > 0:
            raise ValueError("a time budget must be a positive number of seconds")
        self.seconds = float(seconds)
        self.used = 0.0

    def left(self) -> float:
        return max(0.0, self.seconds - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.seconds

    def charge(self, seconds: float) -> None:
        self.used += max(0.0, seconds)
