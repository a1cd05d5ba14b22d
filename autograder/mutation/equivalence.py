"""Is a changed solution (a surviving mutant, autograder/mutation/mutants.py) equivalent to the reference
within the contract? Compared on random inputs drawn independently of the hidden suites, on calls
that leave the optional arguments to their defaults, and on the contract's error cases
(COURSE.md). Trusted code only: the candidate source is executed in this process.

    first_difference(assignment, function, reference_ns, candidate_source) -> str | None

Outputs are compared as the contract says: in float64 with torch.testing.assert_close's float32
tolerances (any floating dtype accepted); shapes exactly; shape tuples as ints; exceptions by
type where the contract names one (ValueError), else "raised" vs "returned".
"""
from __future__ import annotations

import random

import torch

from autograder.text.feedback import ATOL, RTOL

TRIALS = 12


def reference_namespace(assignment):
    import importlib

    return vars(importlib.import_module(f"reference.{assignment}"))


def _namespace(source):
    ns = {"__name__": "__candidate__"}
    exec(compile(source, "<candidate>", "exec"), ns)
    return ns


def _outcome(fn, args, kwargs, seed):
    torch.manual_seed(seed)
    try:
        return "value", fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - an exception is an outcome to compare
        return "raises", type(exc).__name__


def _same_value(a, b, rtol, atol):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.shape != b.shape or not b.is_floating_point():
            return False
        return bool(torch.allclose(a.detach().double(), b.detach().double(), rtol=rtol, atol=atol))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _same(ref, got, rtol=RTOL, atol=ATOL):
    if ref[0] != got[0]:
        return False
    if ref[0] == "raises":
        return ref[1] == got[1] if "ValueError" in (ref[1], got[1]) else True
    return _same_value(ref[1], got[1], rtol, atol)


def _show(args, kwargs):
    def one(v):
        if isinstance(v, torch.Tensor):
            return f"tensor{tuple(v.shape)} {str(v.dtype).replace('torch.', '')}"
        return repr(v)
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _compare_calls(name, ref_ns, cand_ns, calls, rtol=RTOL, atol=ATOL):
    for seed, (args, kwargs) in enumerate(calls):
        ref = _outcome(ref_ns[name], [a.clone() if isinstance(a, torch.Tensor) else a for a in args],
                       kwargs, seed)
        got = _outcome(cand_ns[name], [a.clone() if isinstance(a, torch.Tensor) else a for a in args],
                       kwargs, seed)
        if not _same(ref, got, rtol, atol):
            shown = got[1] if got[0] == "raises" else (
                tuple(got[1].shape) if isinstance(got[1], torch.Tensor) else got[1])
            return f"{name}({_show(args, kwargs)}): {got[0]} {shown!s:.80}"
    return None


# ---------------------------------------------------------------------------------------------
# Random inputs per graded function.

def _rng(function):
    return random.Random(f"equivalence:{function}")


def _tensor(r, *shape, dtype=None, shift=0.0):
    g = torch.Generator().manual_seed(r.randrange(1 << 30))
    dtype = dtype or r.choice([torch.float32, torch.float64])
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * r.choice([0.5, 1, 3])
            + shift).to(dtype)


def _pair_or_int(r, lo, hi):
    """An int, or an (h, w) pair given as a tuple or, a third of the time, as a list (COURSE.md:
    "an int or a pair" - students pass either)."""
    if r.random() < 0.5:
        return r.randint(lo, hi)
    pair = (r.randint(lo, hi), r.randint(lo, hi))
    return list(pair) if r.random() < 0.33 else pair


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _corr_calls(r):
    calls = []
    for _ in range(TRIALS):
        h, w = r.randint(1, 9), r.randint(1, 9)
        kh, kw = r.randint(1, h), r.randint(1, w)
        calls.append(((_tensor(r, h, w), _tensor(r, kh, kw)), {}))
    return calls


def _learn_calls(r):
    calls = []
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = X[:, :-1] - X[:, 1:]
    calls.append(((X, Y, (1, 2)), {}))
    for _ in range(TRIALS):
        kh, kw = r.randint(1, 3), r.randint(1, 3)
        h, w = kh + r.randint(0, 4), kw + r.randint(0, 4)
        X = _tensor(r, h, w, dtype=torch.float32) * 0.3
        Y = _tensor(r, h - kh + 1, w - kw + 1, dtype=torch.float32)
        kwargs = {}
        if r.random() < 0.7:
            kwargs["lr"] = r.choice([0.0, 1e-3, 5e-3, 1e-2])
        if r.random() < 0.7:
            kwargs["num_iters"] = r.randint(1, 12)
        calls.append(((X, Y, (kh, kw)), kwargs))
    return calls


def _shape_calls(r):
    calls = []
    for _ in range(4 * TRIALS):
        k = _pair_or_int(r, 1, 6)
        n = tuple(a + r.randint(0, 20) for a in _pair(k)) if not isinstance(k, int) else \
            k + r.randint(0, 20)
        kwargs = {}
        if r.random() < 0.7:
            kwargs["padding"] = _pair_or_int(r, 0, 3)
        if r.random() < 0.7:
            kwargs["stride"] = _pair_or_int(r, 1, 4)
        calls.append(((n, k), kwargs))
    return calls


def _pad_stride_calls(r):
    calls = []
    for _ in range(TRIALS):
        kh, kw = r.randint(1, 4), r.randint(1, 4)
        X = _tensor(r, kh + r.randint(0, 6), kw + r.randint(0, 6))
        kwargs = {}
        if r.random() < 0.7:
            kwargs["padding"] = _pair_or_int(r, 0, 3)
        if r.random() < 0.7:
            kwargs["stride"] = _pair_or_int(r, 1, 3)
        calls.append(((X, _tensor(r, kh, kw)), kwargs))
    return calls


def _multi_in_calls(r, out_channels):
    calls = []
    for _ in range(TRIALS):
        c, h, w = r.randint(1, 4), r.randint(1, 7), r.randint(1, 7)
        kh, kw = r.randint(1, h), r.randint(1, w)
        dtype = r.choice([torch.float32, torch.float64])
        X = _tensor(r, c, h, w, dtype=dtype)
        K = _tensor(r, *((r.randint(1, 4),) if out_channels else ()), c, kh, kw, dtype=dtype)
        calls.append(((X, K), {}))
    return calls


def _one_by_one_calls(r):
    calls = []
    for _ in range(TRIALS):
        co, ci, h, w = r.randint(1, 5), r.randint(1, 5), r.randint(1, 9), r.randint(1, 9)
        dtype = r.choice([torch.float32, torch.float64])
        calls.append(((_tensor(r, ci, h, w, dtype=dtype), _tensor(r, co, ci, 1, 1, dtype=dtype)), {}))
    return calls


def _pool_calls(r):
    calls = []
    for _ in range(2 * TRIALS):
        h, w = r.randint(1, 8), r.randint(1, 8)
        size = (r.randint(1, h), r.randint(1, w))
        X = _tensor(r, h, w, shift=r.choice([-3.0, 0.0, 2.0]))
        kwargs = {} if r.random() < 0.3 else {"mode": r.choice(["max", "avg"])}
        calls.append(((X, size), kwargs))
    calls += [((_tensor(r, 4, 4), (2, 2)), {"mode": m}) for m in ("min", "average", "MAX", "")]
    return calls


def _pool_pad_stride_calls(r):
    calls = []
    for _ in range(4 * TRIALS):
        size = _pair_or_int(r, 1, 7)
        k = _pair(size)
        lead = tuple(r.randint(1, 3) for _ in range(r.randint(0, 2)))
        X = _tensor(r, *lead, k[0] + r.randint(0, 6), k[1] + r.randint(0, 6),
                    shift=r.choice([-3.0, 0.0, 2.0]))
        kwargs = {}
        if r.random() < 0.7:
            kwargs["mode"] = r.choice(["max", "avg"])
        if r.random() < 0.7:  # up to PyTorch's limit, half the window: padding 3 with window 6-7
            p = (r.randint(0, k[0] // 2), r.randint(0, k[1] // 2))
            kwargs["padding"] = (p if r.random() < 0.5 else list(p)) if r.random() < 0.5 or p[0] != p[1] \
                else p[0]
        if r.random() < 0.6:
            kwargs["stride"] = _pair_or_int(r, 1, 3)
        calls.append(((X, size), kwargs))
    # windows that reach the last padded rows and columns: the padded border, read in full
    # (n + 2p - k a multiple of the default stride, the window: the last window ends on the border)
    for size, pad, shape in ((4, 2, (1, 1, 4, 4)), (6, 3, (1, 6, 12)), ((4, 6), (2, 3), (4, 6)),
                             (2, 1, (2, 4))):
        for mode in ("max", "avg"):
            calls.append(((_tensor(r, *shape, shift=1.0), size), {"mode": mode, "padding": pad}))
    calls += [((_tensor(r, 2, 4, 4), 2), {"mode": m}) for m in ("min", "average", "MAX", "")]
    return calls


CALLS = {
    "ps1_corr2d": {"corr2d": _corr_calls, "conv2d_strict": _corr_calls,
                   "learn_kernel": _learn_calls},
    "ps2_conv2d": {"conv_output_shape": _shape_calls, "corr2d_pad_stride": _pad_stride_calls},
    "ps3_channels": {"corr2d_multi_in": lambda r: _multi_in_calls(r, False),
                     "corr2d_multi_in_out": lambda r: _multi_in_calls(r, True),
                     "corr2d_multi_in_out_1x1": _one_by_one_calls},
    "ps4_pooling": {"pool2d": _pool_calls, "pool2d_pad_stride": _pool_pad_stride_calls},
}
# learn_kernel runs many float32 steps: compared as the hidden suite compares the update rule
TOLERANCES = {"learn_kernel": (1e-4, 1e-5)}


def _conv2d_layer_difference(ref_ns, cand_ns):
    """Conv2D: the same parameters (names, shapes, initial values after the same seed), the same
    forward output and the same gradients, for several kernel sizes and inputs."""
    r = _rng("Conv2D")
    for seed in range(TRIALS):
        kh, kw = r.randint(1, 3), r.randint(1, 3)
        x = _tensor(r, kh + r.randint(0, 5), kw + r.randint(0, 5), dtype=torch.float32)
        bias = r.choice([None, 0.5, -1.5])
        layers = []
        for ns in (ref_ns, cand_ns):
            torch.manual_seed(seed)
            try:
                layer = ns["Conv2D"]((kh, kw))
                params = {n: p.detach().clone() for n, p in layer.named_parameters()}
                if bias is not None:
                    with torch.no_grad():
                        layer.bias.fill_(bias)
                out = layer(x)
                out.sum().backward()
                grads = {n: p.grad for n, p in layer.named_parameters()}
                layers.append(("value", (params, out.detach(), grads)))
            except Exception as exc:  # noqa: BLE001
                layers.append(("raises", type(exc).__name__))
        (rk, rv), (ck, cv) = layers
        if rk != ck:
            return f"Conv2D({(kh, kw)}): {ck}"
        if rk == "raises":
            continue
        for part, a, b in (("parameters", rv[0], cv[0]), ("gradients", rv[2], cv[2])):
            if set(a) != set(b) or any(not _same_value(a[n], b[n], RTOL, ATOL) for n in a
                                       if a[n] is not None and b[n] is not None) or \
                    any((a[n] is None) != (b[n] is None) for n in a):
                return f"Conv2D({(kh, kw)}): different {part}"
        if not _same_value(rv[1], cv[1], RTOL, ATOL):
            return f"Conv2D({(kh, kw)}).forward(x {tuple(x.shape)}): different output"
    return None


def first_difference(assignment, function, reference_ns, candidate_source):
    """None when the candidate's `function` behaves as the reference's everywhere we look, else a
    short description of the first call where it does not (or of why it cannot be run)."""
    try:
        cand_ns = _namespace(candidate_source)
    except Exception as exc:  # noqa: BLE001
        return f"the module does not load: {type(exc).__name__}: {exc}"
    if function == "Conv2D":
        return _conv2d_layer_difference(reference_ns, cand_ns)
    calls = CALLS[assignment][function](_rng(function))
    rtol, atol = TOLERANCES.get(function, (RTOL, ATOL))
    return _compare_calls(function, reference_ns, cand_ns, calls, rtol, atol)
