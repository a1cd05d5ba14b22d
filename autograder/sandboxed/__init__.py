"""The only code a sandbox sees: the grader's worker, the nbgrader kernel's boot and
the hook its grade cells call. Nothing here imports the trusted side."""
