"""Random calls of ps2_conv2d's functions for the mutation check (autograder/mutation/equivalence.py):
CALLS maps a graded function to a builder, builder(random.Random) -> [(args, kwargs), ...]."""
from __future__ import annotations

from autograder.suites.random_calls import TRIALS, pair, pair_or_int, tensor


def shape_calls(r):
    calls = []
    for _ in range(4 * TRIALS):
        k = pair_or_int(r, 1, 6)
        n = tuple(a + r.randint(0, 20) for a in pair(k)) if not isinstance(k, int) else \
            k + r.randint(0, 20)
        kwargs = {}
        if r.random() < 0.7:
            kwargs["padding"] = pair_or_int(r, 0, 3)
        if r.random() < 0.7:
            kwargs["stride"] = pair_or_int(r, 1, 4)
        calls.append(((n, k), kwargs))
    return calls


def pad_stride_calls(r):
    calls = []
    for _ in range(TRIALS):
        kh, kw = r.randint(1, 4), r.randint(1, 4)
        X = tensor(r, kh + r.randint(0, 6), kw + r.randint(0, 6))
        kwargs = {}
        if r.random() < 0.7:
            kwargs["padding"] = pair_or_int(r, 0, 3)
        if r.random() < 0.7:
            kwargs["stride"] = pair_or_int(r, 1, 3)
        calls.append(((X, tensor(r, kh, kw)), kwargs))
    return calls


CALLS = {"conv_output_shape": shape_calls, "corr2d_pad_stride": pad_stride_calls}
# Conv2D is a layer: equivalence.py compares its parameters, forward output and gradients itself
LAYERS = ("Conv2D",)
