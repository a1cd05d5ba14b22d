"""Random calls of a graded function, for the mutation check: each assignment's inputs.py builds
its calls from these (autograder/mutation/equivalence.py compares a surviving mutant with the
reference on them). Drawn from a `random.Random` the check seeds per function, independently of
the hidden suites' own inputs."""
from __future__ import annotations

import torch

TRIALS = 12     # calls per function (more for the cheap ones)


def tensor(r, *shape, dtype=None, shift=0.0):
    g = torch.Generator().manual_seed(r.randrange(1 << 30))
    dtype = dtype or r.choice([torch.float32, torch.float64])
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * r.choice([0.5, 1, 3])
            + shift).to(dtype)


def pair_or_int(r, lo, hi):
    """An int, or an (h, w) pair given as a tuple or, a third of the time, as a list (COURSE.md:
    "an int or a pair" - students pass either)."""
    if r.random() < 0.5:
        return r.randint(lo, hi)
    pair = (r.randint(lo, hi), r.randint(lo, hi))
    return list(pair) if r.random() < 0.33 else pair


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
