"""Released nbgrader configurations import this name; the module is autograder/nbgrader/feedback.py."""
from autograder.nbgrader.feedback import feedback_preprocessors  # noqa: F401
