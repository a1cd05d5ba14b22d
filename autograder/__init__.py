"""Hardened autograder for the CNN course (see docs/architecture.md)."""
