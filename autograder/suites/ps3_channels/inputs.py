"""Random calls of ps3_channels's functions for the mutation check (autograder/mutation/equivalence.py):
CALLS maps a graded function to a builder, builder(random.Random) -> [(args, kwargs), ...]."""
from __future__ import annotations

import torch

from autograder.suites.random_calls import TRIALS, tensor


def multi_in_calls(r, out_channels):
    calls = []
    for _ in range(TRIALS):
        c, h, w = r.randint(1, 4), r.randint(1, 7), r.randint(1, 7)
        kh, kw = r.randint(1, h), r.randint(1, w)
        dtype = r.choice([torch.float32, torch.float64])
        X = tensor(r, c, h, w, dtype=dtype)
        K = tensor(r, *((r.randint(1, 4),) if out_channels else ()), c, kh, kw, dtype=dtype)
        calls.append(((X, K), {}))
    return calls


def one_by_one_calls(r):
    calls = []
    for _ in range(TRIALS):
        co, ci, h, w = r.randint(1, 5), r.randint(1, 5), r.randint(1, 9), r.randint(1, 9)
        dtype = r.choice([torch.float32, torch.float64])
        calls.append(((tensor(r, ci, h, w, dtype=dtype), tensor(r, co, ci, 1, 1, dtype=dtype)), {}))
    return calls


CALLS = {"corr2d_multi_in": lambda r: multi_in_calls(r, False),
         "corr2d_multi_in_out": lambda r: multi_in_calls(r, True),
         "corr2d_multi_in_out_1x1": one_by_one_calls}
