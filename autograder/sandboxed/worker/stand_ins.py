"""Correct helpers substituted for the student's own while another function is graded.

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""
import contextlib

import torch

# ---------------------------------------------------------------------------------------------
# Correct helpers substituted for the student's own helpers while another function is graded
# (each graded function is judged on its own: a broken corr2d must not sink Conv2D).
#
# Rule: a stand-in honours the whole contract of the function it replaces (COURSE.md), i.e. its
# result works wherever the result of ANY valid implementation would work, because the student
# wrote the calling code against their own valid implementation. Where the contract allows
# several result types (accuracy: a Python float or a 0-d tensor), the stand-in returns a value
# that is both. tests/sandboxed/test_stand_ins.py checks every entry of HELPERS against its contract.


class FloatScalar(float):
    """A Python float that also answers a 0-d tensor's API: .item(), .cpu(), .detach(), .to(),
    .numpy(), ... (any tensor attribute, on a 0-d float32 tensor of the same value) and torch
    functions (torch.stack([acc, ...]), torch.as_tensor(acc)). Arithmetic with numbers gives plain
    floats, with tensors tensors, exactly as a float would."""

    def _tensor(self):
        return torch.tensor(float(self))

    def item(self):
        return float(self)

    def tolist(self):
        return float(self)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._tensor(), name)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        def plain(value):
            if isinstance(value, FloatScalar):
                return value._tensor()
            if isinstance(value, (list, tuple)):
                return type(value)(plain(v) for v in value)
            return value

        return func(*plain(tuple(args)), **{k: plain(v) for k, v in (kwargs or {}).items()})


def _corr2d(X, K):
    k_h, k_w = K.shape
    windows = X.unfold(0, k_h, 1).unfold(1, k_w, 1)
    return (windows * K).sum(dim=(-2, -1))


def _corr2d_multi_in(X, K):
    return sum(_corr2d(x, k) for x, k in zip(X, K))


def _accuracy(logits, y):
    return FloatScalar((logits.argmax(dim=1) == y).float().mean().item())


HELPERS = {"corr2d": _corr2d, "corr2d_multi_in": _corr2d_multi_in, "accuracy": _accuracy}


@contextlib.contextmanager
def isolated(ns, names):
    saved = {n: ns[n] for n in names if n in ns}
    try:
        for n in names:
            ns[n] = HELPERS[n]
        yield
    finally:
        for n in names:
            if n in saved:
                ns[n] = saved[n]
            else:
                ns.pop(n, None)


