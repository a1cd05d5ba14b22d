"""Mutation check of the hidden suites: how many small changes to the reference solutions do the
suites notice?

    kill_table(assignment) -> {"functions": {obj: {...counts...}}, "mutants": [...], ...}
    python -m autograder.mutation --assignment ps1_corr2d [--engine]

Mutants are made from the solution bodies of reference/<assignment>.py (the code between
`### BEGIN SOLUTION` / `### END SOLUTION`, plus the defaults of the graded functions) by these
operators, one change per mutant:

  arith      arithmetic operator swap (+ -, + *, * /, * +, / //, // /, // *, % //, ** *), also in
             augmented assignments
  constant   an int or float constant moved by one (n+1, n-1)
  reduction  min <-> max, and sum / mean / max swapped (methods, and the builtins sum/max/min)
  keyword    one keyword argument of a call dropped
  default    a default value of a graded function changed (int n+1, float x2, None -> 1,
             a string -> another string literal of the same function)
  delete     one statement replaced by `pass`
  negate     the condition of an if / conditional expression / while / comprehension negated
  compare    a comparison operator swapped (< <=, > >=, == !=, is / is not, in / not in)
  operand    one operand of an arithmetic operation dropped (`w + 2 * p` -> `w + 2`, `w + p`)
  slice      a slice bound moved by one (`X[i:i + h]` -> `X[i:i + h + 1]`, `X[i + 1:i + h]`)
  argument   one positional argument of a call replaced by another one of the same call, or
             dropped when the call has several

Every mutant is graded by the real structural suite (autograder/suites/<id>/test_<id>.py);
by default in this process (autograder/mutation/trusted_run.py: mutants are our own code), with
engine=True through autograder.grading.engine.grade and the sandbox (slow, for cross-checks). A mutant
is killed when it loses at least one point. A survivor is then compared with the reference on
random inputs, the contract's defaults and its error cases (autograder/mutation/equivalence.py): equal
everywhere -> "equivalent", else -> "gap" (the suites miss a real mistake).
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import sys
import time
from dataclasses import dataclass, field

from autograder import locations
from autograder.grading import registry, scoring

ROOT = locations.PACKAGE_PARENT
REFERENCE_DIR = os.path.join(ROOT, "reference")
# The assignments whose declaration asks for the mutation check (a missing inputs.py is a registry
# error, a function without inputs a gap); ps5 declares mutation_check=False: its networks and
# training loops are checked by tests/corpus/lenet_mutants.
MUTABLE_ASSIGNMENTS = tuple(a.id for a in registry.assignments() if a.mutation_check)
OPERATORS = ("arith", "constant", "reduction", "keyword", "default", "delete", "negate",
             "compare", "operand", "slice", "argument")
_COMPARE = {ast.Lt: (ast.LtE,), ast.LtE: (ast.Lt,), ast.Gt: (ast.GtE,), ast.GtE: (ast.Gt,),
            ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
            ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}

_ARITH = {ast.Add: (ast.Sub, ast.Mult), ast.Sub: (ast.Add,), ast.Mult: (ast.Div, ast.Add),
          ast.Div: (ast.Mult, ast.FloorDiv), ast.FloorDiv: (ast.Div, ast.Mult), ast.Mod: (ast.FloorDiv,),
          ast.Pow: (ast.Mult,)}
_METHOD_SWAPS = {"sum": ("mean", "amax"), "mean": ("sum", "amax"), "max": ("min", "sum", "mean"),
                 "amax": ("amin", "sum", "mean"), "min": ("max",), "amin": ("amax",)}
_BUILTIN_SWAPS = {"sum": ("max",), "max": ("min", "sum"), "min": ("max", "sum")}


@dataclass
class Mutant:
    assignment: str
    function: str          # the graded object (a function or a class)
    operator: str
    line: int
    description: str
    source: str            # the whole mutated module
    status: str = ""       # "killed", "equivalent" or "gap" once graded
    lost: dict = field(default_factory=dict)   # graded object -> points lost
    detail: str = ""       # gaps: the first input where it differs from the reference

    def label(self):
        return f"{self.function} l.{self.line} {self.operator}: {self.description}"


# ---------------------------------------------------------------------------------------------
# Generating mutants.

def solution_ranges(source):
    """[(first, last)] line numbers of the solution bodies (inside the markers)."""
    ranges, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text.startswith("### BEGIN SOLUTION"):
            start = number
        elif text.startswith("### END SOLUTION") and start is not None:
            ranges.append((start + 1, number - 1))
            start = None
    return ranges


def _inside(node, ranges):
    line = getattr(node, "lineno", None)
    return line is not None and any(a <= line <= b for a, b in ranges)


def _graded_defs(tree, ranges):
    """Top-level defs (functions, classes) that hold a solution body: name -> node."""
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if any(_inside(n, ranges) for n in ast.walk(node)):
                out[node.name] = node
    return out


def _call_name(call):
    f = call.func
    if isinstance(f, ast.Attribute):
        return "attr", f.attr
    if isinstance(f, ast.Name):
        return "name", f.id
    return None, None


def _sites(tree, ranges):
    """Yield (function, operator, line, description, edit) where edit(node_copy_map) applies the
    change to a deep copy of tree; nodes are addressed by their index in ast.walk order."""
    index = {id(n): i for i, n in enumerate(ast.walk(tree))}
    for fname, fdef in _graded_defs(tree, ranges).items():
        # defaults of the graded function (and of a class's methods)
        defs = [fdef] if isinstance(fdef, ast.FunctionDef) else \
            [n for n in fdef.body if isinstance(n, ast.FunctionDef)]
        for d in defs:
            strings = [n.value for n in ast.walk(d) if isinstance(n, ast.Constant)
                       and isinstance(n.value, str) and _inside(n, ranges)]
            positional = d.args.args[len(d.args.args) - len(d.args.defaults):]
            for arg, default in zip(positional, d.args.defaults):
                new = _changed_default(default, strings)
                if new is not None:
                    yield (fname, "default", d.lineno, f"{arg.arg}={ast.unparse(default)} -> "
                           f"{arg.arg}={new!r}", _replace_field(index[id(default)], new))
        for node in ast.walk(fdef):
            if _inside(node, ranges):
                yield from _node_sites(fname, node, index)
            yield from _delete_sites(fname, node, index, ranges)  # the def's own body too


def _changed_default(default, strings):
    if not isinstance(default, ast.Constant):
        return None
    v = default.value
    if v is None:
        return 1
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v * 2
    if isinstance(v, str):
        others = [s for s in strings if s != v]
        return others[0] if others else v + "_"
    return None


def _replace_node(nodes, i, new):
    """Put `new` where nodes[i] sits in its parent (nodes: the ast.walk order of a clone)."""
    old = nodes[i]
    for parent in nodes:
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list):
                for j, item in enumerate(value):
                    if item is old:
                        value[j] = new
                        return


def _replace_field(i, value):
    def edit(nodes):
        nodes[i].value = value
    return edit


def _node_sites(fname, node, index):
    i = index[id(node)]
    line = node.lineno
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _ARITH:
        for new in _ARITH[type(node.op)]:
            def edit(nodes, i=i, new=new):
                nodes[i].op = new()
            yield fname, "arith", line, f"{type(node.op).__name__} -> {new.__name__}", edit
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for delta in (1, -1):
            value = node.value + delta
            yield (fname, "constant", line, f"{node.value!r} -> {value!r}",
                   _replace_field(i, value))
    if isinstance(node, ast.Call):
        kind, name = _call_name(node)
        swaps = _METHOD_SWAPS if kind == "attr" else _BUILTIN_SWAPS if kind == "name" else {}
        for other in swaps.get(name, ()):
            def edit(nodes, i=i, kind=kind, other=other):
                if kind == "attr":
                    nodes[i].func.attr = other
                else:
                    nodes[i].func.id = other
            yield fname, "reduction", line, f"{name} -> {other}", edit
        for k, kw in enumerate(node.keywords):
            if kw.arg is None:
                continue

            def edit(nodes, i=i, k=k):
                del nodes[i].keywords[k]
            yield fname, "keyword", line, f"{name}(..., {kw.arg}=...) dropped", edit
    if isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            for new in _COMPARE.get(type(op), ()):
                def edit(nodes, i=i, k=k, new=new):
                    nodes[i].ops[k] = new()
                yield fname, "compare", line, f"{type(op).__name__} -> {new.__name__}", edit
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        for side in ("left", "right"):
            kept = "right" if side == "left" else "left"

            def edit(nodes, i=i, kept=kept):
                _replace_node(nodes, i, getattr(nodes[i], kept))
            yield (fname, "operand", line,
                   f"`{ast.unparse(node)[:40]}` -> `{ast.unparse(getattr(node, kept))[:40]}`", edit)
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is None:
                continue
            for delta in (1, -1):
                def edit(nodes, i=i, bound=bound, delta=delta):
                    old = getattr(nodes[i], bound)
                    setattr(nodes[i], bound, ast.BinOp(old, ast.Add() if delta > 0 else ast.Sub(),
                                                       ast.Constant(1)))
                yield (fname, "slice", line, f"{bound} bound `{ast.unparse(getattr(node, bound))[:30]}` "
                       f"{'+' if delta > 0 else '-'} 1", edit)
    if isinstance(node, ast.Call) and len(node.args) >= 2 \
            and not any(isinstance(a, ast.Starred) for a in node.args):
        for k in range(len(node.args)):
            def edit(nodes, i=i, k=k):
                del nodes[i].args[k]
            yield fname, "argument", line, f"{_call_name(node)[1]}(...): argument {k + 1} dropped", edit
            other = (k + 1) % len(node.args)

            def edit(nodes, i=i, k=k, other=other):
                nodes[i].args[k] = copy.deepcopy(nodes[i].args[other])
            yield (fname, "argument", line,
                   f"{_call_name(node)[1]}(...): argument {k + 1} replaced by argument {other + 1}", edit)
    if isinstance(node, (ast.If, ast.IfExp, ast.While)):
        def edit(nodes, i=i):
            nodes[i].test = ast.UnaryOp(op=ast.Not(), operand=nodes[i].test)
        yield fname, "negate", line, f"not ({ast.unparse(node.test)})", edit
    if isinstance(node, ast.comprehension):
        for k, cond in enumerate(node.ifs):
            def edit(nodes, i=i, k=k):
                nodes[i].ifs[k] = ast.UnaryOp(op=ast.Not(), operand=nodes[i].ifs[k])
            yield fname, "negate", cond.lineno, f"not ({ast.unparse(cond)})", edit


def _delete_sites(fname, node, index, ranges):
    i = index[id(node)]
    for field_name in ("body", "orelse", "finalbody"):
        body = getattr(node, field_name, None)
        if not isinstance(body, list):
            continue
        for k, stmt in enumerate(body):
            if not _inside(stmt, ranges) or isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring

            def edit(nodes, i=i, field_name=field_name, k=k):
                getattr(nodes[i], field_name)[k] = ast.Pass()
            text = ast.unparse(stmt).splitlines()[0]
            yield fname, "delete", stmt.lineno, f"delete `{text[:60]}`", edit


def generate(assignment, source=None):
    """All distinct mutants of reference/<assignment>.py (or of `source`)."""
    if source is None:
        with open(os.path.join(REFERENCE_DIR, f"{assignment}.py"), encoding="utf-8") as fh:
            source = fh.read()
    tree = ast.parse(source)
    ranges = solution_ranges(source)
    original = ast.unparse(tree)
    seen = {original}
    mutants = []
    for fname, op, line, description, edit in _sites(tree, ranges):
        clone = copy.deepcopy(tree)
        edit(list(ast.walk(clone)))
        ast.fix_missing_locations(clone)
        text = ast.unparse(clone)
        if text in seen:
            continue
        seen.add(text)
        mutants.append(Mutant(assignment, fname, op, line, description, text + "\n"))
    return mutants


# ---------------------------------------------------------------------------------------------
# Grading and classifying.

def _lost_points(mutant, engine=False):
    """graded object -> points lost (in-process: up to the first failed test only, the mutated
    object's tests first); plus the grader errors met (test names)."""
    if engine:
        import tempfile

        from autograder.grading import engine as eng
        from autograder.grading.results import test_object

        with tempfile.TemporaryDirectory(prefix="ag-mutant-") as tmp:
            path = os.path.join(tmp, f"{mutant.assignment}.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(mutant.source)
            res = eng.grade(path, mutant.assignment)
        lost = {}
        for t in res["tests"]:
            obj = test_object(t)
            if obj in scoring.POINTS[mutant.assignment] and t["score"] < t["max_score"]:
                lost[obj] = lost.get(obj, 0) + t["max_score"] - t["score"]
        return lost, (["engine"] if res["extra_data"].get("grader_error") else [])
    from autograder.mutation.trusted_run import run_suite

    lost, errors = {}, []
    results = run_suite(mutant.source, mutant.assignment, first=mutant.function,
                        stop_at_failure=True)
    for name, entry in results.items():
        if not entry["passed"]:
            lost[entry["object"]] = lost.get(entry["object"], 0) + entry["points"]
        if entry["grader_error"]:
            errors.append(f"{name}: {entry['message'][:200]}")
    return lost, errors


def kill_table(assignment, *, engine=False, mutants=None, progress=None):
    """Generate (unless given), grade and classify the mutants of one assignment.

    Returns {"assignment", "seconds", "functions": {obj: {"mutants", "killed", "equivalent",
    "gaps"}}, "mutants": [Mutant ...], "grader_errors": [(label, test: message)]}."""
    from autograder.mutation import equivalence
    from autograder.mutation.trusted_run import one_thread

    with one_thread():
        return _kill_table(assignment, engine, mutants, progress, equivalence)


def _kill_table(assignment, engine, mutants, progress, equivalence):
    started = time.perf_counter()
    mutants = generate(assignment) if mutants is None else mutants
    functions = {obj: {"mutants": 0, "killed": 0, "equivalent": 0, "gaps": 0}
                 for obj in scoring.POINTS[assignment]}
    grader_errors = []
    reference = equivalence.reference_namespace(assignment)
    for n, mutant in enumerate(mutants, start=1):
        mutant.lost, errors = _lost_points(mutant, engine=engine)
        grader_errors += [(mutant.label(), e) for e in errors]
        if mutant.lost:
            mutant.status = "killed"
        else:
            difference = equivalence.first_difference(assignment, mutant.function, reference,
                                                      mutant.source)
            mutant.status = "gap" if difference else "equivalent"
            mutant.detail = difference or ""
        row = functions.setdefault(mutant.function, {"mutants": 0, "killed": 0,
                                                     "equivalent": 0, "gaps": 0})
        row["mutants"] += 1
        row[{"killed": "killed", "equivalent": "equivalent", "gap": "gaps"}[mutant.status]] += 1
        if progress:
            progress(n, len(mutants), mutant)
    return {"assignment": assignment, "seconds": round(time.perf_counter() - started, 1),
            "functions": functions, "mutants": mutants, "grader_errors": grader_errors}


HOW_EQUIVALENCE_IS_DECIDED = (
    "killed: the hidden suite takes at least one point from the mutant. A survivor is "
    "'equivalent' when it gives the reference's outcome on every call of "
    "autograder/mutation/equivalence.py for its function (random inputs drawn independently of the hidden "
    "suites, ints and pairs given as tuples and lists, paddings up to half the window, windows "
    "that end on the last padded row and column, calls that leave the optional arguments to their "
    "defaults, the contract's error cases), compared as the contract compares (float64, float32 "
    "tolerances, any floating dtype, ValueError by type); else it is a 'gap': the suites miss a "
    "real mistake, shown with the first call where it differs.")


def format_table(tables):
    lines = ["| assignment | function | mutants | killed | equivalent | gaps |",
             "|---|---|---:|---:|---:|---:|"]
    for t in tables:
        for obj, row in t["functions"].items():
            lines.append(f"| {t['assignment']} | {obj} | {row['mutants']} | {row['killed']} | "
                         f"{row['equivalent']} | {row['gaps']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.mutation",
                                     description="mutation check of the hidden suites")
    parser.add_argument("--assignment", action="append", choices=MUTABLE_ASSIGNMENTS,
                        help="assignment id (repeatable; default: all of ps1-ps4)")
    parser.add_argument("--engine", action="store_true",
                        help="grade through autograder.grading.engine and the sandbox (slow)")
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    args = parser.parse_args(argv)
    tables = []
    for assignment in args.assignment or MUTABLE_ASSIGNMENTS:
        table = kill_table(assignment, engine=args.engine)
        tables.append(table)
        print(f"{assignment}: {len(table['mutants'])} mutants in {table['seconds']} s",
              file=sys.stderr)
        for m in table["mutants"]:
            if m.status == "gap" or (args.survivors and m.status == "equivalent"):
                print(f"  {m.status.upper()}: {m.label()}  {m.detail}", file=sys.stderr)
        for label, error in table["grader_errors"]:
            print(f"  GRADER ERROR: {label}: {error}", file=sys.stderr)
    print(format_table(tables))
    print("\n" + HOW_EQUIVALENCE_IS_DECIDED)
    gaps = sum(m.status == "gap" for t in tables for m in t["mutants"])
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
