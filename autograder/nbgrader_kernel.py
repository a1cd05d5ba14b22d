"""Released nbgrader configurations import this name; the module is autograder/nbgrader/kernel.py."""
from autograder.nbgrader.kernel import ConfinedExecute, ConfinedKernelManager, check_confinement_first  # noqa: F401
