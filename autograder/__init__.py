"""Hardened autograder for the CNN course (see docs/architecture.md)."""

__version__ = "0.1.0"   # pyproject.toml reads it (CHANGELOG.md says what each version brought)
