"""Random calls of ps1_corr2d's functions for the mutation check (autograder/mutation/equivalence.py):
CALLS maps a graded function to a builder, builder(random.Random) -> [(args, kwargs), ...]."""
from __future__ import annotations

import torch

from autograder.suites.random_calls import TRIALS, tensor


def corr_calls(r):
    calls = []
    for _ in range(TRIALS):
        h, w = r.randint(1, 9), r.randint(1, 9)
        kh, kw = r.randint(1, h), r.randint(1, w)
        calls.append(((tensor(r, h, w), tensor(r, kh, kw)), {}))
    return calls


def learn_calls(r):
    calls = []
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = X[:, :-1] - X[:, 1:]
    calls.append(((X, Y, (1, 2)), {}))
    for _ in range(TRIALS):
        kh, kw = r.randint(1, 3), r.randint(1, 3)
        h, w = kh + r.randint(0, 4), kw + r.randint(0, 4)
        X = tensor(r, h, w, dtype=torch.float32) * 0.3
        Y = tensor(r, h - kh + 1, w - kw + 1, dtype=torch.float32)
        kwargs = {}
        if r.random() < 0.7:
            kwargs["lr"] = r.choice([0.0, 1e-3, 5e-3, 1e-2])
        if r.random() < 0.7:
            kwargs["num_iters"] = r.randint(1, 12)
        calls.append(((X, Y, (kh, kw)), kwargs))
    return calls


CALLS = {"corr2d": corr_calls, "conv2d_strict": corr_calls, "learn_kernel": learn_calls}
