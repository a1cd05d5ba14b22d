"""Runs INSIDE the sandbox of an nbgrader kernel (see autograder/nbgrader_kernel.py); mounted as
`agkernel`, with autograder/worker/confine.py beside it as `agkernel.confine` (the sandbox's boot).
Never imported by the trusted side."""
