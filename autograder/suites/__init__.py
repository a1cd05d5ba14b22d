"""Hidden pytest suites, one or more files per assignment (see docs/architecture.md), and small
helpers they share (seeded random inputs, input descriptions for error messages)."""
import torch

from autograder.feedback import describe_inputs


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
