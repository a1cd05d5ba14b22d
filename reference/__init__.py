"""Reference solutions, one module per assignment (names fixed by ../shared/COURSE.md).

The code between `### BEGIN SOLUTION` and `### END SOLUTION` is what nbgrader removes from the
students' notebooks; assignments/build_notebooks.py copies these functions into the notebooks,
so this package is the single source of the solutions.

MODULES: {assignment id: reference.<id>} for every assignment of the registry
(autograder/grading/registry.py); tests/grading/test_registry.py checks that each has its module here.
"""
import importlib

from autograder.grading import registry

MODULES = {a.id: importlib.import_module(a.reference_module) for a in registry.assignments()}
