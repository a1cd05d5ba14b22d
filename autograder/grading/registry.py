"""The assignments of the course, one declaration each, read by everything else.

An assignment is one folder, `autograder/suites/<id>/`:

    __init__.py        its declaration (below): facts only
    test_<id>*.py      its hidden pytest suite
    hints.py           the misconceptions its suite names (MISCONCEPTIONS; optional)
    inputs.py          random calls of its functions for the mutation check (unless the
                       declaration says mutation_check=False)

    from autograder.text.i18n import N_
    from autograder.grading.registry import Assignment, Graded

    ASSIGNMENT = Assignment(
        id="ps1_corr2d",
        title=N_("La correlación cruzada"),
        graded=(Graded("corr2d", 10, guarded=True), Graded("conv2d_strict", 4), Graded("learn_kernel", 6)),
    )

Every folder of autograder/suites/ is an assignment: there is no list to keep by hand, and a
folder that lacks a piece is an error naming it (`DeclarationError`), never skipped. Course order
is the order of the ids, numbers by value (ps2_... before ps10_...). Scoring, budgets, the
reference modules, nbgrader_config.py, the Makefile and the CLI (`autograder list`), the
Gradescope builder, the mutation check, the kit's guarded list and the docs' tables all derive
from here (docs/adding-an-assignment.md).

Reading the registry imports neither torch nor pytest: the declarations are loaded by file path,
without importing the autograder.suites package.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
from dataclasses import dataclass

from autograder import locations

SUITES_DIR = locations.SUITES

# Built-ins that do the whole job of a convolution or a pooling ("implement it yourself",
# COURSE.md). While a suite calls a graded function with guard=True, the worker makes each of
# these raise (autograder/sandboxed/worker/guard.py). A dotted name is an attribute of an imported module
# or namespace; a torch.nn class stands for its forward. Modules the student has not imported
# (scipy's) are left alone: the static rule (cursocnn/implementation_check.py) refuses them.
_F = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
      "conv_tbc", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
      "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
      "avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
      "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "lp_pool1d",
      "lp_pool2d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool3d", "unfold", "fold")
_TORCH = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
          "convolution", "_convolution", "conv_tbc", "max_pool1d", "max_pool2d", "max_pool3d",
          "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
          "mkldnn_convolution", "mkldnn_max_pool2d", "cudnn_convolution")
_C_NN = ("avg_pool2d", "avg_pool3d", "max_pool2d_with_indices", "max_pool3d_with_indices",
         "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool2d", "adaptive_max_pool3d",
         "im2col", "col2im", "thnn_conv2d", "slow_conv3d", "slow_conv_dilated2d",
         "slow_conv_transpose2d", "fractional_max_pool2d", "mkldnn_reorder_conv2d_weight")
_ATEN = ("convolution", "_convolution", "conv1d", "conv2d", "conv3d", "max_pool2d",
         "max_pool2d_with_indices", "avg_pool2d", "im2col", "col2im", "adaptive_avg_pool2d",
         "adaptive_max_pool2d", "_adaptive_avg_pool2d", "max_pool1d", "avg_pool1d")
_NN = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
       "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
       "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d",
       "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "LPPool1d", "LPPool2d", "FractionalMaxPool2d",
       "Unfold", "Fold")
_SCIPY_SIGNAL = ("correlate2d", "convolve2d", "correlate", "convolve", "fftconvolve", "oaconvolve")
_SCIPY_NDIMAGE = ("correlate", "convolve", "maximum_filter", "uniform_filter", "generic_filter")

CONV_POOL_BUILTINS: tuple[str, ...] = tuple(
    [f"torch.nn.functional.{n}" for n in _F] + [f"torch.{n}" for n in _TORCH]
    + [f"torch._C._nn.{n}" for n in _C_NN] + [f"torch.ops.aten.{n}" for n in _ATEN]
    + [f"torch.nn.{n}" for n in _NN] + [f"scipy.signal.{n}" for n in _SCIPY_SIGNAL]
    + [f"scipy.ndimage.{n}" for n in _SCIPY_NDIMAGE])

DEFAULT_BUDGET_SECONDS = 120.0


@dataclass(frozen=True)
class Graded:
    """A graded object (function or class) of an assignment and its points. guarded: the suites
    call it with guard=True, so the "implement it yourself" rule applies to it (the kit's
    cursocnn/allowlist.py GUARDED is generated from these: `python -m autograder.cli.kit_copies`)."""
    name: str
    points: int
    guarded: bool = False


@dataclass(frozen=True)
class Assignment:
    """One assignment: everything the grader, nbgrader and the docs need to know about it.

    id          fixed id (COURSE.md); also the name of its folder autograder/suites/<id>/, of
                reference/<id>.py and of the notebook source assignments/notebooks/<id>.py
    title       short Spanish title (marked with N_; shown by `autograder list` and the docs)
    graded      the graded objects with their points, in notebook order
    budget      seconds of student time per submission (autograder/grading/budget.py)
    needs_data  grading reads Fashion-MNIST (installed by the Gradescope image)
    trains      a suite trains the student's model (ps5's LeNet: cached, --device)
    forbidden   built-ins a guard=True call may not use (see CONV_POOL_BUILTINS)
    mutation_check  the mutation check mutates reference/<id>.py and compares survivors on the
                folder's inputs.py (False: say in the declaration what checks the suite instead)
    """
    id: str
    title: str
    graded: tuple[Graded, ...]
    budget: float = DEFAULT_BUDGET_SECONDS
    needs_data: bool = False
    trains: bool = False
    forbidden: tuple[str, ...] = CONV_POOL_BUILTINS
    mutation_check: bool = True

    def __post_init__(self):
        if not self.id.isidentifier():
            raise ValueError(f"{self.id!r}: an assignment id is a Python module name")
        names = [g.name for g in self.graded]
        if not self.graded or len(set(names)) != len(names):
            raise ValueError(f"{self.id}: graded objects must be given once each")
        if any(not isinstance(g.points, int) or g.points <= 0 for g in self.graded):
            raise ValueError(f"{self.id}: points must be positive integers")
        if not self.budget > 0:
            raise ValueError(f"{self.id}: the budget must be a positive number of seconds")

    @property
    def points(self) -> dict[str, int]:
        """{graded object: points}, in notebook order."""
        return {g.name: g.points for g in self.graded}

    @property
    def max_score(self) -> int:
        return sum(g.points for g in self.graded)

    @property
    def reference_module(self) -> str:
        return f"reference.{self.id}"


# ------------------------------------------------------------------------------------ discovery

def _course_order(name: str) -> list:
    """Sort key: numbers by value (ps2_... before ps10_...)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class DeclarationError(RuntimeError):
    """An assignment folder that lacks a piece (or a declaration that contradicts its folder)."""


def _folders(suites_dir: str) -> list[str]:
    """The assignment folders of suites_dir, in course order."""
    return sorted((e for e in os.listdir(suites_dir)
                   if os.path.isdir(os.path.join(suites_dir, e)) and not e.startswith(("_", "."))),
                  key=_course_order)


def suite_files(assignment_id: str, suites_dir: str = SUITES_DIR) -> list[str]:
    """The hidden suite files of an assignment: autograder/suites/<id>/test_*.py."""
    folder = os.path.join(suites_dir, assignment_id)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(os.path.join(folder, n) for n in names if n.startswith("test_") and n.endswith(".py"))


def _load_declaration(name: str, path: str) -> Assignment:
    spec = importlib.util.spec_from_file_location(f"_autograder_declaration_{name}", path)
    if spec is None or spec.loader is None:   # a .py path always has both; said for the type checker
        raise DeclarationError(f"{path}: not loadable as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, "ASSIGNMENT", None)
    if not isinstance(found, Assignment):
        raise DeclarationError(f"{path}: defines no ASSIGNMENT = autograder.grading.registry.Assignment(...)")
    if found.id != name:
        raise DeclarationError(f"{path}: ASSIGNMENT.id is {found.id!r}, the folder says {name!r}")
    return found


def _check_folder(found: Assignment, folder: str) -> None:
    if not suite_files(found.id, os.path.dirname(folder)):
        raise DeclarationError(f"{folder}: no hidden suite (test_{found.id}.py)")
    if found.mutation_check and not os.path.isfile(os.path.join(folder, "inputs.py")):
        raise DeclarationError(f"{folder}: no inputs.py for the mutation check (random calls of its "
                               "functions), and the declaration does not say mutation_check=False")


@functools.lru_cache(maxsize=None)
def discover(suites_dir: str = SUITES_DIR) -> dict[str, Assignment]:
    """{id: Assignment} of every assignment folder in suites_dir, in course order (DeclarationError
    for a folder that lacks a piece)."""
    out = {}
    for name in _folders(suites_dir):
        folder = os.path.join(suites_dir, name)
        declaration = os.path.join(folder, "__init__.py")
        if not os.path.isfile(declaration):
            raise DeclarationError(f"{folder}: no __init__.py with the assignment's declaration")
        found = _load_declaration(name, declaration)
        _check_folder(found, folder)
        out[name] = found
    return out


def assignments() -> tuple[Assignment, ...]:
    return tuple(discover().values())


def ids() -> tuple[str, ...]:
    return tuple(discover())


def get(assignment_id: str) -> Assignment:
    """The declaration of `assignment_id` (KeyError, naming the known ids, when there is none)."""
    found = discover().get(assignment_id)
    if found is None:
        raise KeyError(f"unknown assignment {assignment_id!r} (known: {', '.join(ids())})")
    return found


def guarded() -> tuple[str, ...]:
    """The objects every suite calls with guard=True, in course order (the kit's GUARDED)."""
    return tuple(g.name for a in assignments() for g in a.graded if g.guarded)
