"""Random calls of ps4_pooling's functions for the mutation check (autograder/mutation/equivalence.py):
CALLS maps a graded function to a builder, builder(random.Random) -> [(args, kwargs), ...]."""
from __future__ import annotations

from autograder.suites.random_calls import TRIALS, pair, pair_or_int, tensor


def pool_calls(r):
    calls = []
    for _ in range(2 * TRIALS):
        h, w = r.randint(1, 8), r.randint(1, 8)
        size = (r.randint(1, h), r.randint(1, w))
        X = tensor(r, h, w, shift=r.choice([-3.0, 0.0, 2.0]))
        kwargs = {} if r.random() < 0.3 else {"mode": r.choice(["max", "avg"])}
        calls.append(((X, size), kwargs))
    calls += [((tensor(r, 4, 4), (2, 2)), {"mode": m}) for m in ("min", "average", "MAX", "")]
    return calls


def pool_pad_stride_calls(r):
    calls = []
    for _ in range(4 * TRIALS):
        size = pair_or_int(r, 1, 7)
        k = pair(size)
        lead = tuple(r.randint(1, 3) for _ in range(r.randint(0, 2)))
        X = tensor(r, *lead, k[0] + r.randint(0, 6), k[1] + r.randint(0, 6),
                    shift=r.choice([-3.0, 0.0, 2.0]))
        kwargs = {}
        if r.random() < 0.7:
            kwargs["mode"] = r.choice(["max", "avg"])
        if r.random() < 0.7:  # up to PyTorch's limit, half the window: padding 3 with window 6-7
            p = (r.randint(0, k[0] // 2), r.randint(0, k[1] // 2))
            kwargs["padding"] = (p if r.random() < 0.5 else list(p)) if r.random() < 0.5 or p[0] != p[1] \
                else p[0]
        if r.random() < 0.6:
            kwargs["stride"] = pair_or_int(r, 1, 3)
        calls.append(((X, size), kwargs))
    # windows that reach the last padded rows and columns: the padded border, read in full
    # (n + 2p - k a multiple of the default stride, the window: the last window ends on the border)
    for size, pad, shape in ((4, 2, (1, 1, 4, 4)), (6, 3, (1, 6, 12)), ((4, 6), (2, 3), (4, 6)),
                             (2, 1, (2, 4))):
        for mode in ("max", "avg"):
            calls.append(((tensor(r, *shape, shift=1.0), size), {"mode": mode, "padding": pad}))
    calls += [((tensor(r, 2, 4, 4), 2), {"mode": m}) for m in ("min", "average", "MAX", "")]
    return calls


CALLS = {"pool2d": pool_calls, "pool2d_pad_stride": pool_pad_stride_calls}
