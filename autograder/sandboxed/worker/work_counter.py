"""Counting the work a function does, to tell a vectorised function from a per-pixel loop.

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""
import contextlib
import sys

import torch

# ---------------------------------------------------------------------------------------------
# Counting the work a function does: torch operations (a TorchFunctionMode) and Python lines
# executed in the student's own code. A vectorised function does the same amount of work for a
# small and a large input; a per-pixel loop does work proportional to the number of pixels.

class _OpCounter(torch.overrides.TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def count_work(stats):
    lines = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith("<student"):
            lines[0] += 1
            return tracer
        return None

    counter = _OpCounter()
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        with counter:
            yield
    finally:
        sys.settrace(old)
        stats["ops"] = counter.count
        stats["lines"] = lines[0]


