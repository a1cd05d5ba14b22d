"""Generic call of a student function: seeded, with stand-ins, the run-time guard and the work
counted; the result sent back as plain data.

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""
import contextlib
import sys

import torch

from .guard import KERNEL_OP, blocked_kernels, forbid_builtins
from .stand_ins import isolated
from .values import ForbiddenBuiltinError, lookup, plain, type_name
from .work_counter import count_work

# ---------------------------------------------------------------------------------------------
# Generic call of a student function.


def call_function(ns, name, *args, **kwargs):
    return plain(lookup(ns, name)(*args, **kwargs))


def seed_everything(seed):
    """Seed every generator student code may draw from: torch's, Python's `random` and numpy's
    legacy global one (numpy only when it is already imported: a probe never imports it)."""
    import random

    torch.manual_seed(seed)
    random.seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed(seed % (2 ** 32))
        except Exception:  # noqa: BLE001 - a numpy the student replaced: torch and random still are
            pass


def call_student(ns, name, args=(), kwargs=None, guard=False, isolate=(), seed=None,
                 count=False):
    """Call ns[name](*args, **kwargs). Options: guard (the dotted names of the built-ins to
    block, from the trusted side), isolate (substitute correct helpers for the student's), seed
    (seed_everything first: torch, random, numpy), count (measure ops and student lines).
    Returns {"value", "type", "forbidden", "ops", "lines"}."""
    fn = lookup(ns, name)
    used, stats = [], {}
    with contextlib.ExitStack() as stack:
        stack.enter_context(isolated(ns, list(isolate)))
        if seed is not None:
            seed_everything(seed)
        if guard:
            if not isinstance(guard, (list, tuple)):
                raise TypeError("guard takes the dotted names of the built-ins to block")
            stack.enter_context(forbid_builtins(ns, used, guard))
            if any(KERNEL_OP.match(str(name).rpartition(".")[2]) for name in guard):
                stack.enter_context(blocked_kernels(used))  # the list is about these kernels
        if count:
            stack.enter_context(count_work(stats))
        try:
            value = fn(*args, **(kwargs or {}))
        except Exception:
            if used:  # a blocked kernel, whatever error it surfaced as
                raise ForbiddenBuiltinError(used[0]) from None
            raise
    if used:  # the student caught the ForbiddenBuiltinError and went on
        raise ForbiddenBuiltinError(used[0])
    return {"value": plain(value), "type": type_name(value), "forbidden": used,
            "ops": stats.get("ops"), "lines": stats.get("lines")}


