"""The assignments of the course, one declaration each, read by everything else.

An assignment is declared next to its hidden suite, in `autograder/suites/<id>.py`:

    from autograder.text.i18n import N_
    from autograder.grading.registry import Assignment, Graded

    ASSIGNMENT = Assignment(
        id="ps1_corr2d",
        title=N_("La correlación cruzada"),
        graded=(Graded("corr2d", 10), Graded("conv2d_strict", 4), Graded("learn_kernel", 6)),
    )

A file `autograder/suites/<name>.py` is a declaration when a suite `test_<name>*.py` sits beside
it and it defines ASSIGNMENT (whose id must be <name>); there is no list to keep by hand. Course
order is the order of the ids, numbers by value (ps2_... before ps10_...). Scoring, budgets, the
reference modules, nbgrader_config.py, the Makefile and the CLI (`autograder list`), the
Gradescope builder, the mutation check and the docs' tables all derive from here
(docs/adding-an-assignment.md).

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
# these raise (autograder/sandboxed/worker/probes.py). A dotted name is an attribute of an imported module
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
    """A graded object (function or class) of an assignment and its points."""
    name: str
    points: int


@dataclass(frozen=True)
class Assignment:
    """One assignment: everything the grader, nbgrader and the docs need to know about it.

    id          fixed id (COURSE.md); also the name of reference/<id>.py, of the notebook source
                assignments/notebooks/<id>.py and of the suite files autograder/suites/test_<id>*.py
    title       short Spanish title (marked with N_; shown by `autograder list` and the docs)
    graded      the graded objects with their points, in notebook order
    budget      seconds of student time per submission (autograder/grading/budget.py)
    needs_data  grading reads Fashion-MNIST (installed by the Gradescope image)
    trains      a suite trains the student's model (ps5's LeNet: cached, --device)
    forbidden   built-ins a guard=True call may not use (see CONV_POOL_BUILTINS)
    """
    id: str
    title: str
    graded: tuple[Graded, ...]
    budget: float = DEFAULT_BUDGET_SECONDS
    needs_data: bool = False
    trains: bool = False
    forbidden: tuple[str, ...] = CONV_POOL_BUILTINS

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


def _declaration_files(suites_dir: str) -> list[tuple[str, str]]:
    """(name, path) of every suites/<name>.py with a test_<name>*.py beside it, in course order."""
    files = set(os.listdir(suites_dir))
    out = []
    for entry in sorted(files, key=_course_order):
        name, ext = os.path.splitext(entry)
        if ext != ".py" or name.startswith(("test_", "_")):
            continue
        suite = f"test_{name}"
        if any(f == suite + ".py" or (f.startswith(suite + "_") and f.endswith(".py")) for f in files):
            out.append((name, os.path.join(suites_dir, entry)))
    return out


def _load_declaration(name: str, path: str) -> Assignment | None:
    spec = importlib.util.spec_from_file_location(f"_autograder_declaration_{name}", path)
    if spec is None or spec.loader is None:   # a .py path always has both; said for the type checker
        raise ImportError(f"{path}: not loadable as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, "ASSIGNMENT", None)
    if found is None:
        return None
    if not isinstance(found, Assignment):
        raise TypeError(f"{path}: ASSIGNMENT must be an autograder.grading.registry.Assignment")
    if found.id != name:
        raise ValueError(f"{path}: ASSIGNMENT.id is {found.id!r}, the file says {name!r}")
    return found


@functools.lru_cache(maxsize=None)
def discover(suites_dir: str = SUITES_DIR) -> dict[str, Assignment]:
    """{id: Assignment} of every declaration in suites_dir, in course order."""
    out = {}
    for name, path in _declaration_files(suites_dir):
        found = _load_declaration(name, path)
        if found is not None:
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
