"""Runs INSIDE the sandbox of an nbgrader kernel (see autograder/nbgrader_kernel.py); mounted
alone as `agkernel`. Never imported by the trusted side."""
