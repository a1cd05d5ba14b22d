"""Points per graded object, from the assignments' declarations (autograder/grading/registry.py). The
hidden suites' tests for an object add up to exactly its points (tests/grading/test_scoring.py checks
it); the nbgrader grade cell of each object is worth the same points."""
from . import registry

POINTS = {a.id: a.points for a in registry.assignments()}

ASSIGNMENTS = tuple(POINTS)


def max_score(assignment: str) -> int:
    return registry.get(assignment).max_score
