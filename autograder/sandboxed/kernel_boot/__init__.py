"""Runs INSIDE the sandbox of the nbgrader kernels (see autograder/nbgrader/kernel.py); mounted as
`agkernel`, with autograder/sandboxed/worker/confine.py and worker/zygote.py beside it as `agkernel.confine`
(the sandbox's boot) and `agkernel.zygote` (the forking code `preloaded` uses). Never imported by
the trusted side."""
