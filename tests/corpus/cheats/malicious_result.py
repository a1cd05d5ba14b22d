"""Returns objects that run code when the grader unpickles them (__reduce__), tensor
subclasses that lie about their values (__torch_function__ / overridden methods), and
forges a protocol reply by writing straight to the worker's reply pipe."""
import os
import struct
import sys

import torch


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ag_cheat_pwned_reduce",))


def corr2d_reduce(X, K):
    return Evil()


class Liar(torch.Tensor):
    """Claims to be close to anything; its data are zeros."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("detach", "clone", "to", "contiguous", "as_subclass"):
            return Evil()
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

    def __reduce_ex__(self, proto):
        return (os.system, ("touch /tmp/ag_cheat_pwned_subclass",))


def corr2d_subclass(X, K):
    return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1).as_subclass(Liar)


def corr2d_forged(X, K):
    import pickle

    payload = pickle.dumps(Evil())
    wfd = int(sys.argv[-1])
    os.write(wfd, struct.pack(">Q", len(payload)) + payload)
    return torch.zeros(1)


def corr2d_bigframe(X, K):
    wfd = int(sys.argv[-1])
    os.write(wfd, struct.pack(">Q", 1 << 40))
    return torch.zeros(1)


def echo(x):
    return x
