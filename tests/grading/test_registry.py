"""The assignment registry (autograder/grading/registry.py): every registered assignment has its suite,
reference module, notebook source and examples; what derives from it agrees with it; reading it
costs no torch import; discovery needs no list; the worker blocks exactly the declared built-ins.
(That each suite's points add up to the declaration is tests/grading/test_scoring.py.)"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.cli import assignment_list
from autograder.grading import budget, registry, scoring
from autograder.mutation import mutants as mutation

ROOT = Path(__file__).resolve().parents[2]
IDS = registry.ids()


def test_the_course_is_registered_in_order():
    assert IDS == ("ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling", "ps5_lenet")
    assert [a.id for a in registry.assignments()] == list(IDS)
    assert registry.get("ps5_lenet").trains and registry.get("ps5_lenet").needs_data
    assert not any(registry.get(a).trains or registry.get(a).needs_data for a in IDS[:4])
    with pytest.raises(KeyError, match="ps1_corr2d"):
        registry.get("ps6_nothing")


@pytest.mark.parametrize("assignment", IDS)
def test_every_assignment_has_its_files(assignment):
    a = registry.get(assignment)
    files = registry.suite_files(assignment)
    assert files and all(Path(f).parent == ROOT / "autograder" / "suites" / assignment for f in files)
    assert (ROOT / "assignments" / "notebooks" / f"{assignment}.py").is_file()
    for example in ("perfecta.ipynb", "con_errores.py", "sin_resolver.ipynb"):
        assert (ROOT / "examples" / assignment / example).is_file(), example
    reference = ROOT / "reference" / f"{assignment}.py"
    defined = {node.name for node in ast.parse(reference.read_text(encoding="utf-8")).body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert set(a.points) <= defined, set(a.points) - defined


def test_what_derives_from_the_registry_agrees_with_it():
    from reference import MODULES

    assert list(MODULES) == list(IDS)
    assert all(MODULES[a].__name__ == registry.get(a).reference_module for a in IDS)
    assert scoring.ASSIGNMENTS == IDS
    assert scoring.POINTS == {a.id: a.points for a in registry.assignments()}
    assert [scoring.max_score(a) for a in IDS] == [20, 20, 20, 20, 25]
    assert {a: budget.default_seconds(a) for a in IDS} == {a: registry.get(a).budget for a in IDS}
    assert set(mutation.MUTABLE_ASSIGNMENTS) == {"ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"}


def test_the_docs_tables_are_generated_from_the_registry():
    assert assignment_list.stale_docs() == [], \
        "run: python -m autograder.cli.assignment_list --write-docs"
    table = assignment_list.markdown_table()
    assert ("| `ps4_pooling` | Pooling (agrupamiento) | `pool2d` 8, `pool2d_pad_stride` 12 | 20 "
            "| 120 s |") in table
    assert table.count("\n| `ps") == len(IDS)


@pytest.mark.slow
def test_the_cli_and_the_makefile_list_the_registry():
    out = subprocess.run([sys.executable, "-m", "autograder", "list"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.split() == list(IDS)
    make = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "show: ; @echo $(ASSIGNMENTS)",
                           "show", f"BIN={Path(sys.executable).parent}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert make.stdout.split() == list(IDS), make.stderr


@pytest.mark.slow
def test_reading_the_registry_imports_neither_torch_nor_pytest():
    code = ("import sys\nfrom autograder.grading import budget, registry, scoring\nregistry.ids()\n"
            "print(sorted(m for m in ('torch', 'pytest', 'autograder.suites') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


DECLARATION = """
    from autograder.grading.registry import Assignment, Graded
    ASSIGNMENT = Assignment(id="{id}", title="t", graded=(Graded("f", 2),), budget=30)
"""


def _assignment(root: Path, aid: str, declaration: str | None = None, *, tests=("test_{id}.py",),
                inputs=True) -> Path:
    folder = root / aid
    folder.mkdir()
    _write(folder, "__init__.py", DECLARATION.format(id=aid) if declaration is None else declaration)
    for name in tests:
        _write(folder, name.format(id=aid), "")
    if inputs:
        _write(folder, "inputs.py", "CALLS = {}\n")
    return folder


def test_every_folder_is_an_assignment_in_course_order(tmp_path):
    _assignment(tmp_path, "pa_one")
    _assignment(tmp_path, "pb_two", tests=("test_pb_two_part.py",))
    _assignment(tmp_path, "pa10_ten")
    _assignment(tmp_path, "pa9_nine")
    _write(tmp_path, "helpers.py", "X = 1\n")          # modules beside the folders are not assignments
    (tmp_path / "__pycache__").mkdir()
    found = registry.discover(str(tmp_path))
    assert list(found) == ["pa9_nine", "pa10_ten", "pa_one", "pb_two"]   # numbers by value
    assert found["pb_two"].points == {"f": 2} and found["pb_two"].budget == 30
    assert registry.suite_files("pb_two", str(tmp_path)) == [str(tmp_path / "pb_two" / "test_pb_two_part.py")]


@pytest.mark.parametrize("make, error", [
    (lambda root: _assignment(root, "pa_one", tests=()), r"pa_one: no hidden suite \(test_pa_one.py\)"),
    (lambda root: _assignment(root, "pa_one", inputs=False), r"pa_one: no inputs.py for the mutation check"),
    (lambda root: (root / "pa_one").mkdir(), r"pa_one: no __init__.py with the assignment's declaration"),
    (lambda root: _assignment(root, "pa_one", "X = 1\n"), r"pa_one/__init__.py: defines no ASSIGNMENT"),
    (lambda root: _assignment(root, "pa_one", DECLARATION.format(id="other")), "ASSIGNMENT.id is 'other'"),
])
def test_a_folder_missing_a_piece_is_an_error_that_names_it(tmp_path, make, error):
    """Never skipped in silence: a half-made assignment stops every command that lists them."""
    make(tmp_path)
    with pytest.raises(registry.DeclarationError, match=error):
        registry.discover(str(tmp_path))


def test_an_assignment_without_the_mutation_check_says_so_and_needs_no_inputs(tmp_path):
    _assignment(tmp_path, "pa_one", DECLARATION.format(id="pa_one").replace(
        "budget=30", "budget=30, mutation_check=False"), inputs=False)
    assert registry.discover(str(tmp_path))["pa_one"].mutation_check is False


@pytest.mark.parametrize("text, error", [
    (DECLARATION.format(id="pa_one").replace('Graded("f", 2),', 'Graded("f", 2), Graded("f", 1)'),
     "once each"),
    (DECLARATION.format(id="pa_one").replace('Graded("f", 2)', 'Graded("f", 0)'), "positive"),
])
def test_a_wrong_declaration_is_refused_with_its_file(tmp_path, text, error):
    _assignment(tmp_path, "pa_one", text)
    with pytest.raises((TypeError, ValueError), match=error):
        registry.discover(str(tmp_path))


# ------------------------------------------------------------- the worker's guard, from the registry

STUDENT = """
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import conv2d as c2d

def via_functional(X, K):
    return F.conv2d(X[None, None], K[None, None])[0, 0]

def via_alias(X, K):
    return c2d(X[None, None], K[None, None])[0, 0]

def via_aten(X, K):
    return torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1],
                                      False, [0, 0], 1)[0, 0]

def via_module(X, K):
    return nn.MaxPool2d(2)(X[None])[0]

def swallowed(X, K):
    try:
        return F.avg_pool2d(X[None], 2)[0]
    except Exception:
        return X

def via_relu(X, K):
    return torch.relu(X)
"""


def test_the_worker_blocks_the_declared_builtins_and_names_them():
    import torch

    from autograder.sandboxed.worker import probes, values

    ns = {"__name__": "__student__"}
    exec(compile(STUDENT, "<student:c>", "exec"), ns)
    X, K = torch.rand(4, 4), torch.rand(2, 2)
    forbidden = list(registry.get("ps1_corr2d").forbidden)
    expected = {"via_functional": "torch.nn.functional.conv2d", "via_alias": "torch.nn.functional.conv2d",
                "via_aten": "torch.ops.aten.convolution", "via_module": "torch.nn.MaxPool2d",
                "swallowed": "torch.nn.functional.avg_pool2d"}
    for name, public in expected.items():
        with pytest.raises(values.ForbiddenBuiltinError) as err:
            probes.call_student(ns, name, (X, K), guard=forbidden)
        assert str(err.value) == public, name          # a name, no text: the trusted side words it
    assert probes.call_student(ns, "via_relu", (X, K), guard=forbidden)["forbidden"] == []
    # everything is restored afterwards, and another assignment's list is its own
    assert probes.call_student(ns, "via_functional", (X, K))["value"].shape == (3, 3)
    with pytest.raises(values.ForbiddenBuiltinError, match="^torch.relu$"):
        probes.call_student(ns, "via_relu", (X, K), guard=["torch.relu"])
    assert probes.call_student(ns, "via_aten", (X, K), guard=["torch.relu"])["forbidden"] == []
    with pytest.raises(TypeError):
        probes.call_student(ns, "via_relu", (X, K), guard=True)

