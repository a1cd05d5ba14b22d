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

from autograder.suites.random_calls import TRIALS
from autograder.suites.random_calls import tensor as _tensor
from autograder.text.feedback import ATOL, RTOL


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
# Random inputs per graded function: each assignment's autograder/suites/<id>/inputs.py.

def _rng(function):
    return random.Random(f"equivalence:{function}")


def inputs(assignment):
    """The assignment's inputs module (CALLS, and LAYERS compared as layers), or None without one."""
    import importlib

    try:
        return importlib.import_module(f"autograder.suites.{assignment}.inputs")
    except ModuleNotFoundError as exc:
        if exc.name != f"autograder.suites.{assignment}.inputs":
            raise
        return None


def comparable(assignment) -> set:
    """The functions of `assignment` a survivor of which can be compared with the reference."""
    found = inputs(assignment)
    return set(getattr(found, "CALLS", {})) | set(getattr(found, "LAYERS", ())) if found else set()


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


# the layers an inputs.py may list in LAYERS: name -> (reference ns, candidate ns) -> difference
LAYER_COMPARISONS = {"Conv2D": _conv2d_layer_difference}


def first_difference(assignment, function, reference_ns, candidate_source):
    """None when the candidate's `function` behaves as the reference's everywhere we look, else a
    short description of the first call where it does not (or of why it cannot be run)."""
    try:
        cand_ns = _namespace(candidate_source)
    except Exception as exc:  # noqa: BLE001
        return f"the module does not load: {type(exc).__name__}: {exc}"
    found = inputs(assignment)
    if function in getattr(found, "LAYERS", ()):
        compare = LAYER_COMPARISONS.get(function)
        if compare is None:
            return f"no layer comparison for {function} in autograder/mutation/equivalence.py"
        return compare(reference_ns, cand_ns)
    if found is None or function not in getattr(found, "CALLS", {}):
        return (f"no random inputs for {function} in autograder/suites/{assignment}/inputs.py: "
                "cannot tell whether this survivor is equivalent")
    calls = found.CALLS[function](_rng(function))
    rtol, atol = TOLERANCES.get(function, (RTOL, ATOL))
    return _compare_calls(function, reference_ns, cand_ns, calls, rtol, atol)
