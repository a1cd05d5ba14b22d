"""The suites' kill table: the shipped mutant corpus (tests/corpus/mutants/<id>/*.py, each a
realistic mistake in one graded object, named in its docstring's ``target:`` line) graded by
the hidden suites; a mutant is *killed* when its target object loses points. Per object: how
many mutants target it and how many the suites catch, and whether the feedback named the
expected misconception.

The LeNet training check (test_<id>_training.py) is left out: it trains networks for minutes
and judges the architecture, which the structural suite already checks.
"""
from __future__ import annotations

import ast
import os
import time
from dataclasses import asdict, dataclass

from autograder import locations
from autograder.grading import scoring
from autograder.text.i18n import N_, tr

ROOT = locations.PACKAGE_PARENT
CORPUS = os.path.join(ROOT, "tests", "corpus", "mutants")
FILE = "killtable.json"


@dataclass
class MutantRow:
    mutant: str
    target: str
    expected_misconception: str | None
    killed: bool
    lost: float                     # points the target object lost
    objects_hit: list               # objects that lost points
    misconceptions: list            # misconception keys the feedback recognised on the target
    seconds: float


def header(path) -> dict:
    """The `key: value` lines of a mutant's module docstring (target, misconception)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = ast.get_docstring(ast.parse(f.read())) or ""
    except (OSError, SyntaxError, ValueError):
        return {}
    fields = {}
    for line in doc.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields


def mutants(assignment, corpus=CORPUS) -> list[str]:
    folder = os.path.join(corpus, assignment)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".py"))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names]


def structural_suites(assignment) -> list[str]:
    from autograder.grading import engine
    return [f for f in engine.suite_files(assignment) if not f.endswith("_training.py")]


def grade_structural(path, assignment, lang="es") -> dict:
    """engine.grade restricted to the structural suite files (no LeNet training)."""
    from autograder.grading import engine
    saved = engine.suite_files
    files = structural_suites(assignment)
    engine.suite_files = lambda _a: files
    try:
        return engine.grade(path, assignment, lang=lang, device="cpu")
    finally:
        engine.suite_files = saved


def row_for(path, assignment, results, seconds=0.0) -> MutantRow:
    from autograder.grading.results import test_object
    from autograder.grading.score_table import per_object
    fields = header(path)
    target = fields.get("target", "")
    expected = fields.get("misconception")
    objs = per_object(results, assignment)
    hit = [o for o, (got, top) in objs.items() if got < top]
    got, top = objs.get(target, (0.0, 0.0))
    found = sorted({(t.get("extra_data") or {}).get("misconception") for t in results.get("tests", [])
                    if t.get("status") == "failed" and test_object(t) == target}
                   - {None})
    return MutantRow(os.path.splitext(os.path.basename(path))[0], target,
                     None if expected in (None, "none") else expected, got < top, round(top - got, 3),
                     hit, found, round(seconds, 2))


def build(assignment, corpus=CORPUS, lang="es", progress=None) -> dict:
    """Grade every mutant of the assignment; -> {"assignment", "rows": [...], "objects": {...}}."""
    rows = []
    for path in mutants(assignment, corpus):
        started = time.perf_counter()
        res = grade_structural(path, assignment, lang)
        rows.append(row_for(path, assignment, res, time.perf_counter() - started))
        if progress:
            progress(rows[-1])
    return summarise(assignment, rows)


def summarise(assignment, rows) -> dict:
    objects = {o: {"mutants": 0, "killed": 0, "diagnosed": 0} for o in scoring.POINTS.get(assignment, {})}
    for r in rows:
        entry = objects.setdefault(r.target, {"mutants": 0, "killed": 0, "diagnosed": 0})
        entry["mutants"] += 1
        entry["killed"] += int(r.killed)
        entry["diagnosed"] += int(bool(r.expected_misconception) and r.expected_misconception in r.misconceptions)
    return {"assignment": assignment, "rows": [asdict(r) for r in rows], "objects": objects}


TEXT = {"object": N_("Función"), "mutants": N_("Mutantes"), "killed": N_("Detectados"),
        "diagnosed": N_("Con diagnóstico"), "mutant": N_("Mutante"), "target": N_("Objetivo"),
        "verdict": N_("Resultado"), "yes": N_("detectado"), "no": N_("NO DETECTADO"),
        "seen": N_("Diagnóstico"), "none": N_("(sin mutantes)")}


def format_table(table: dict, lang="es") -> str:
    """The kill table as text: per object, then per mutant."""
    t = {key: tr(lang, message) for key, message in TEXT.items()}
    lines = []
    head = [t["object"], t["mutants"], t["killed"], t["diagnosed"]]
    body = [[o, str(e["mutants"]), str(e["killed"]), str(e["diagnosed"])]
            for o, e in table["objects"].items()]
    total = [sum(e[k] for e in table["objects"].values()) for k in ("mutants", "killed", "diagnosed")]
    body.append(["total"] + [str(x) for x in total])
    lines += _columns([head] + body)
    lines.append("")
    head = [t["mutant"], t["target"], t["verdict"], t["seen"]]
    body = [[r["mutant"], r["target"], t["yes"] if r["killed"] else t["no"],
             ", ".join(r["misconceptions"]) or "-"] for r in table["rows"]]
    lines += _columns([head] + body) if body else [t["none"]]
    return "\n".join(lines)


def _columns(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out
