"""Hidden pytest suites, one or more files per assignment (see docs/architecture.md), and small
helpers they share (seeded random inputs, input descriptions for error messages, diagnosis
after a failure)."""
import contextlib

import torch

from autograder.feedback import Feedback, describe_inputs, with_misconception


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(g, *shape, dtype=torch.float32):
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def rand(g, *shape, dtype=torch.float32):
    return torch.rand(*shape, generator=g, dtype=torch.float64).to(dtype)


def ctx(inputs: dict):
    """(es, en) description of a call's inputs, for error messages."""
    text = describe_inputs(inputs)
    return f"Entrada: {text}", f"Input: {text}"


def call_text(name, *arg_names, **kwargs):
    parts = list(arg_names) + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


@contextlib.contextmanager
def diagnosis(lang, *probes):
    """Run the real check inside `with diagnosis(lang, probe, ...):`. Only when it fails with a
    Feedback that names no misconception are the diagnostic probes tried, in order: callables
    returning a misconception key (or None) that may call the student's code again. The first key
    found is added to the failure. A probe's own failure (Feedback, a student exception, a crash,
    anything) is swallowed: a probe made to explain a failure can never cause one, nor cost
    points. Keep each probe's calls within the contract (COURSE.md), like the real checks."""
    try:
        yield
    except Feedback as failure:
        if failure.misconception:
            raise
        for probe in probes:
            try:
                key = probe()
            except Exception:  # noqa: BLE001 - a diagnostic never fails a test
                key = None
            if key:
                raise with_misconception(failure, lang, key) from None
        raise
