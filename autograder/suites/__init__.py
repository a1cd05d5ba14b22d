"""Hidden pytest suites, one or more files per assignment (see docs/architecture.md), and what
their tests are written with:

    from autograder.text.i18n import N_
    from autograder.suites import Call, graded

    @graded("corr2d", points=2, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
    def test_corr2d_course_example(student, say):
        call = Call("corr2d", {"X": X, "K": K})         # inputs named once
        got = student.run(call, guard=True)             # the student's corr2d(X, K), sandboxed
        say.check_tensor(call, got, expected, alternatives=[("flipped_kernel", flipped)])
        if ...:
            say.wrong("{call} devolvió {got}", call=call, got=fmt_value(got), misconception="...")

Fixtures (autograder/suites/plugin.py): `student` (the submission in the sandbox), `say` (feedback
in the session's language, autograder.text.feedback.Say), `lang`, `device`. A suite's own
misconception hints live in its folder (suites/<assignment>/hints.py). Also here: seeded random inputs and
diagnosis after a failure.
"""
import contextlib

import torch

from autograder.suites.marker import DeclaredTest, graded, graded_test  # the API
from autograder.text.feedback import Feedback, with_misconception


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(g, *shape, dtype=torch.float32):
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def rand(g, *shape, dtype=torch.float32):
    return torch.rand(*shape, generator=g, dtype=torch.float64).to(dtype)


def in_both_dtypes(cases):
    """[(dtype, case)]: float32 and float64 in turn, so a suite checks both."""
    return [(torch.float64 if i % 2 else torch.float32, case) for i, case in enumerate(cases)]


def random_pairs(seed: int, shapes):
    """[(X, K)] of normal random tensors of the given (X shape, K shape), drawn in that order
    from one seeded generator, float32 and float64 in turn."""
    g = generator(seed)
    return [(randn(g, *x, dtype=dtype), randn(g, *k, dtype=dtype))
            for dtype, (x, k) in in_both_dtypes(shapes)]


class Call:
    """One call of a student's function with its inputs named once: `student.run(call)` sends
    the values (positional arguments in order, then the keyword arguments), and messages and
    tensor checks show the call as text and describe its inputs by name.

        Call("corr2d", {"X": X, "K": K})                          # corr2d(X, K)
        Call("pool2d", {"X": X, "pool_size": (2, 2)}, mode="max")  # pool2d(X, (2, 2), mode='max')

    In the text a tensor argument appears by its name, any other by its value."""

    def __init__(self, name: str, args: dict, /, **kwargs):
        self.name, self.args, self.kwargs = name, dict(args), kwargs

    @property
    def values(self) -> tuple:
        return tuple(self.args.values())

    @property
    def inputs(self) -> dict:
        return dict(self.args, **self.kwargs)

    @property
    def text(self) -> str:
        shown = [k if isinstance(v, torch.Tensor) else repr(v) for k, v in self.args.items()]
        shown += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.name}({', '.join(shown)})"

    def __str__(self):
        return self.text


@contextlib.contextmanager
def diagnosis(say, *probes):
    """Run the real check inside `with diagnosis(say, probe, ...):`. Only when it fails with a
    Feedback that names no misconception are the diagnostic probes tried, in order: callables
    returning a misconception key (or None) that may call the student's code again. The first key
    found is added to the failure (explained in say's language). A probe's own failure (Feedback,
    a student exception, a crash, anything) is swallowed: a probe made to explain a failure can
    never cause one, nor cost points. Keep each probe's calls within the contract (COURSE.md),
    like the real checks."""
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
                raise with_misconception(failure, say.lang, key) from None
        raise


__all__ = ["Call", "DeclaredTest", "diagnosis", "generator", "graded", "graded_test", "in_both_dtypes",
           "rand", "randn", "random_pairs"]
