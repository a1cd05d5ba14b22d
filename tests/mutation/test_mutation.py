"""Mutation check of the hidden suites (autograder/mutation/mutants.py): every mutant of the reference
solutions of ps1-ps4 that loses no point must be equivalent to the reference on random inputs,
defaults and error cases (autograder/mutation/equivalence.py); a non-equivalent survivor is a gap in the
suites and fails here. Mutants are graded in this process (autograder/mutation/trusted_run.py, our own
code only); test_fast_path_agrees_with_the_engine checks that path against the sandboxed engine.
"""
import ast

import pytest

from autograder.grading import scoring
from autograder.mutation import equivalence
from autograder.mutation import mutants as mutation
from autograder.mutation.trusted_run import one_thread, run_suite


def _reference(assignment):
    return (mutation.ROOT + f"/reference/{assignment}.py")


def _source(assignment):
    with open(_reference(assignment), encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("assignment", mutation.MUTABLE_ASSIGNMENTS)
@pytest.mark.slow
def test_every_surviving_mutant_is_equivalent(assignment):
    table = mutation.kill_table(assignment)
    gaps = [f"{m.label()}: {m.detail}" for m in table["mutants"] if m.status == "gap"]
    assert not gaps, "\n".join(gaps)
    assert not table["grader_errors"], table["grader_errors"]
    for obj in scoring.POINTS[assignment]:  # every graded object was mutated, most mutants die
        row = table["functions"][obj]
        assert row["mutants"] >= 1 and row["killed"] >= row["equivalent"], (obj, row)


SAMPLE = '''
def f(X, n=3, mode='a'):
    """doc"""
    ### BEGIN SOLUTION
    if mode not in ('a', 'b'):
        raise ValueError(mode)
    total = X[:n].sum() + n * 2
    return max(total, 1, key=abs)
    ### END SOLUTION
'''


def test_the_mutator_applies_each_operator_once_per_site():
    found = {}
    for m in mutation.generate("sample", SAMPLE):
        found.setdefault(m.operator, set()).add(m.description)
        ast.parse(m.source)
        assert m.function == "f"
    assert found["arith"] == {"Add -> Sub", "Add -> Mult", "Mult -> Div", "Mult -> Add"}
    assert found["constant"] == {"2 -> 3", "2 -> 1", "1 -> 2", "1 -> 0"}
    assert found["reduction"] == {"sum -> mean", "sum -> amax", "max -> min", "max -> sum"}
    assert found["keyword"] == {"max(..., key=...) dropped"}
    assert found["default"] == {"n=3 -> n=4", "mode='a' -> mode='b'"}
    assert found["negate"] == {"not (mode not in ('a', 'b'))"}
    assert {d.split("`")[1] for d in found["delete"]} == {
        "if mode not in ('a', 'b'):", "raise ValueError(mode)", "total = X[:n].sum() + n * 2",
        "return max(total, 1, key=abs)"}
    assert found["compare"] == {"NotIn -> In"}
    assert found["operand"] == {"`X[:n].sum() + n * 2` -> `n * 2`", "`X[:n].sum() + n * 2` -> `X[:n].sum()`",
                                "`n * 2` -> `2`", "`n * 2` -> `n`"}
    assert found["slice"] == {"upper bound `n` + 1", "upper bound `n` - 1"}
    assert found["argument"] == {"max(...): argument 1 dropped", "max(...): argument 2 dropped",
                                 "max(...): argument 1 replaced by argument 2",
                                 "max(...): argument 2 replaced by argument 1"}
    assert set(found) == set(mutation.OPERATORS)


def test_the_mutants_issue_22_found_are_made_and_killed():
    """A padded buffer too small on one side (`w + 2` for `w + 2 * pad_w`, `h + (2 + pad_h)`): the
    average-pooling cases whose last window ends on the padded border kill them."""
    wanted = {"operand: `2 * pad_w` -> `2`", "arith: Mult -> Add"}
    lines = _source("ps4_pooling").splitlines()
    mutants = [m for m in mutation.generate("ps4_pooling") if m.function == "pool2d_pad_stride"
               and "padded = torch.full" in lines[m.line - 1]
               and any(m.label().endswith(w) for w in wanted)]
    assert len(mutants) >= 3
    reference = equivalence.reference_namespace("ps4_pooling")
    table = mutation.kill_table("ps4_pooling", mutants=mutants)
    for m in table["mutants"]:
        assert m.status == "killed", m.label()
        assert equivalence.first_difference("ps4_pooling", m.function, reference, m.source), m.label()


def test_equivalence_tells_a_changed_default_from_a_harmless_change():
    source = _source("ps4_pooling")
    reference = equivalence.reference_namespace("ps4_pooling")
    assert equivalence.first_difference("ps4_pooling", "pool2d", reference, source) is None
    harmless = source.replace("Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), "
                              "dtype=X.dtype)",
                              "Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))")
    assert harmless != source
    assert equivalence.first_difference("ps4_pooling", "pool2d", reference, harmless) is None
    changed = source.replace("def pool2d(X, pool_size, mode='max')",
                             "def pool2d(X, pool_size, mode='avg')")
    assert equivalence.first_difference("ps4_pooling", "pool2d", reference, changed)


def _lost(results):
    lost = {}
    for entry in results.values():
        if not entry["passed"]:
            lost[entry["object"]] = lost.get(entry["object"], 0) + entry["points"]
    return lost


HAND_WRITTEN = [  # mistakes named in the issue that the generated operators do not produce
    ("ps4_pooling", "pool2d_pad_stride", "(h + 2 * pad_h, w + 2 * pad_w), fill",
     "(h + 2, w + 2), fill"),
    ("ps4_pooling", "pool2d_pad_stride", "out_h = (h + 2 * pad_h - p_h) // s_h + 1",
     "out_h = (h + 2 - p_h) // s_h + 1"),
]


@pytest.mark.parametrize("assignment, obj, old, new", HAND_WRITTEN)
def test_hand_written_mutants_lose_points(assignment, obj, old, new):
    source = _source(assignment)
    assert old in source
    with one_thread():
        lost = _lost(run_suite(source.replace(old, new), assignment))
    assert set(lost) == {obj}


@pytest.mark.sandbox
def test_fast_path_agrees_with_the_engine():
    """The in-process path and autograder.grading.engine.grade (sandbox, pytest) lose the same points on
    a sample of mutants: killed ones of every operator and the equivalent survivors."""
    sample = []
    pools = [mutation.generate("ps1_corr2d"), mutation.generate("ps4_pooling")]
    for k, operator in enumerate(mutation.OPERATORS):  # one mutant per operator, alternating
        ms = [m for m in pools[k % 2] if m.operator == operator] or \
            [m for m in pools[1 - k % 2] if m.operator == operator]
        sample.append(ms[len(ms) // 2])
    sample.append(next(m for m in mutation.generate("ps4_pooling")  # an equivalent survivor
                       if m.description == "full(..., dtype=...) dropped"))
    for m in sample:
        with one_thread():
            fast = _lost(run_suite(m.source, m.assignment))
        slow, errors = mutation._lost_points(m, engine=True)
        assert not errors
        assert fast == slow, m.label()
