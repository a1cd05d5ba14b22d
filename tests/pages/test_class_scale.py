"""Report pages and similarity at class scale (issue 24), on a synthetic ps1 class
(bench/synthetic_class.py: honest styles, typical mistakes, stubs, planted copies):
a regrade rewrites one student page (plus the class page and grades.csv) and nothing else;
planted copies are the first clusters and standard solutions make none; the class page of
2,000 rows pages, sorts and filters in headless Chromium and shows the numbers of results.json."""
import ast
import hashlib
import json
import os
import random
import sys
from pathlib import Path

import pytest

from autograder.grading import result_files, scoring
from autograder.pages import build as pages
from autograder.pages import similarity

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import synthetic_class  # noqa: E402
from test_pages import browser, open_page  # noqa: E402,F401 - the shared Chromium fixture

A = synthetic_class.ASSIGNMENT
OBJECTS = list(scoring.POINTS[A])


def snapshot(out):
    """{relative path: (sha256, mtime_ns)} of every file under out."""
    found = {}
    for folder, _dirs, files in os.walk(out):
        for f in files:
            path = os.path.join(folder, f)
            with open(path, "rb") as fh:
                found[os.path.relpath(path, out)] = (hashlib.sha256(fh.read()).hexdigest(),
                                                     os.stat(path).st_mtime_ns)
    return found


@pytest.mark.slow        # the student pages are built on a forked pool
def test_regrade_rewrites_only_that_students_page(tmp_path):
    out, _groups = synthetic_class.write(40, tmp_path)
    first = pages.build(out, jobs=2)
    assert len(first["rebuilt"]) == 40
    before = snapshot(out)
    again = pages.build(out, jobs=2)  # nothing changed: no student page rewritten
    assert again["rebuilt"] == []
    assert {p for p, v in snapshot(out).items() if before[p][1] != v[1]} == {"index.html", "grades.csv"}

    victim = "alumno20"
    meta = json.loads((Path(out) / victim / "meta.json").read_text(encoding="utf-8"))
    with open(meta["source"], "a", encoding="utf-8") as f:
        f.write("\n# segunda entrega\n")
    new = synthetic_class.results_for("graded", ("off_by_one", "gradient_ascent"))
    result_files.store(os.path.join(out, victim), meta["source"], A, "es", new)
    before = snapshot(out)
    written = pages.build(out, jobs=2)
    after = snapshot(out)
    assert written["rebuilt"] == [os.path.join(out, victim, pages.STUDENT_PAGE)]
    changed = {p for p in after if after[p][0] != before[p][0]}
    touched = {p for p in after if after[p][1] != before[p][1]}
    assert {"index.html", "grades.csv", f"{victim}/feedback.html"} <= changed
    pages_touched = {p for p in touched if p.endswith(pages.STUDENT_PAGE)}
    assert pages_touched == {f"{victim}/feedback.html"}
    assert {p.split("/")[0] for p in touched if "/" in p} == {victim}
    page = (Path(out) / victim / "feedback.html").read_text(encoding="utf-8")
    assert f'data-score="{float(new["score"])}"' in page
    csv_row = next(ln for ln in (Path(out) / "grades.csv").read_text(encoding="utf-8").splitlines()
                   if ln.startswith(victim + ","))
    assert csv_row.split(",")[2] == str(new["score"])


def test_a_changed_renderer_rebuilds_every_page(tmp_path, monkeypatch):
    out, _groups = synthetic_class.write(5, tmp_path)
    pages.build(out, similarity=False)
    monkeypatch.setattr(pages, "_inputs_digest", lambda lang: "another renderer")
    assert len(pages.build(out, similarity=False)["rebuilt"]) == 5


# ---------------------------------------------------------------- similarity in a class

def class_prints(sources):
    stub = set()
    for src in similarity.release_sources(A, OBJECTS):
        stub.update(similarity.fingerprints(src).hashes)
    prints = {n: set(similarity.fingerprints(s).hashes) - stub for n, s in sources.items()}
    return {n: h for n, h in prints.items() if h}, stub


def graded(src):
    return similarity.graded_source([["", src]], OBJECTS)


def test_planted_copies_are_the_first_clusters():
    students, groups = synthetic_class.plan(300)
    prints, stub = class_prints({name: graded(src) for name, _kind, src, _m in students})
    found = similarity.clusters(similarity.score_pairs(prints, stub))
    assert [set(c.members) for c in found[:len(groups)]] == \
        sorted((set(g) for g in groups), key=lambda g: -max(
            p[3] for c in found for p in c.pairs if set(c.members) == g))
    assert {frozenset(c.members) for c in found} == {frozenset(g) for g in groups}
    assert len(groups[-1]) == 5  # a group of five is one cluster, its ten pairs inside
    five = next(c for c in found if set(c.members) == set(groups[-1]))
    assert len(five.pairs) == 10


def test_renamed_and_reformatted_copy_is_found_in_a_class():
    students, groups = synthetic_class.plan(300)
    by_name = {name: src for name, _kind, src, _m in students}
    original, copy = (by_name[n] for n in groups[0])
    if "v0_" in original:
        original, copy = copy, original
    assert "lo escribí yo" in copy and "v0_" in copy and "alto" not in graded(copy)  # disguised
    prints, stub = class_prints({name: graded(src) for name, src in by_name.items()})
    pairs = {(a, b): s for a, b, s, _n in similarity.score_pairs(prints, stub)}
    assert pairs[tuple(sorted(groups[0]))] >= 0.9


class Rename(ast.NodeTransformer):
    def __init__(self, rng):
        self.rng, self.names = rng, {}

    def _new(self, name):
        if name in ("torch", "nn", "range", "corr2d", "conv2d_strict", "learn_kernel", "tuple", "_"):
            return name
        return self.names.setdefault(name, f"{name}_{self.rng.randrange(10**6)}")

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        return node


def test_a_class_of_one_standard_solution_makes_no_cluster():
    reference = graded((ROOT / "reference" / f"{A}.py").read_text(encoding="utf-8"))
    rng = random.Random(5)
    sources = {}
    for i in range(60):  # the same solution, names varied, some reformatted
        tree = Rename(rng).visit(ast.parse(reference))
        src = ast.unparse(tree) if i % 2 else reference
        for old, new in Rename(rng).names.items():
            src = src.replace(old, new)
        sources[f"s{i:02d}"] = src
    for i in range(20):
        sources[f"stub{i}"] = graded(synthetic_class.STUB)
    prints, stub = class_prints(sources)
    assert len(prints) == 60
    assert similarity.clusters(similarity.score_pairs(prints, stub)) == []
    # what keeps them apart is the common-code limit, not a lack of shared code
    assert similarity.score_pairs(prints, stub, limit=len(prints)) != []


def test_common_limit_is_sized_to_the_class():
    assert similarity.common_limit(2) == similarity.MIN_COMMON
    assert similarity.common_limit(10_000) == 200
    assert similarity.common_limit(10_000, share=0.1) == 1000


# ---------------------------------------------------------------- 2,000 rows in the browser

@pytest.mark.browser
def test_class_page_of_2000_rows(tmp_path, browser):  # noqa: F811
    out, _groups = synthetic_class.write(2000, tmp_path)
    entries = pages.load(out)
    html = pages._env().get_template("class.html.j2").render(
        **pages.class_context(entries, out, similarity=False))
    index = Path(out) / "index.html"
    index.write_text(html, encoding="utf-8")
    res = {e.name: e.results for e in entries}
    page, errors = open_page(browser, index, "index_2000.png")

    def shown():
        return page.evaluate("""() => Array.from(document.querySelectorAll('table.grades tbody tr'))
            .map(r => ({name: r.dataset.name, cells: Array.from(r.cells).map(c => c.textContent.trim()),
                        href: r.querySelector('a').getAttribute('href')}))""")

    def totals(rows):
        return [float(r["cells"][1 + len(OBJECTS)]) for r in rows]

    first = shown()
    assert len(first) == pages.PAGE_SIZE
    assert "2000" in page.text_content(".js-status")
    seen = []
    while True:  # every row, page by page: the numbers are those of results.json
        rows = shown()
        for r in rows:
            per_object = {}
            for t in res[r["name"]]["tests"]:
                per_object[t["extra_data"]["object"]] = per_object.get(t["extra_data"]["object"], 0) + t["score"]
            assert [float(c) for c in r["cells"][1:1 + len(OBJECTS)]] == [per_object[o] for o in OBJECTS]
            assert float(r["cells"][1 + len(OBJECTS)]) == res[r["name"]]["score"]
            assert r["href"] == f"{r['name']}/feedback.html"
        seen += [r["name"] for r in rows]
        nxt = page.locator("nav.pager .js-next")
        if nxt.is_disabled():
            break
        nxt.click()
    assert sorted(seen) == sorted(res)
    mean = sum(r["score"] for r in res.values()) / len(res)
    assert abs(float(page.text_content("span.mean")) - mean) < 0.01

    total = page.locator("table.grades thead th").nth(1 + len(OBJECTS)).locator("button")
    total.click()
    scores = sorted(r["score"] for r in res.values())
    assert totals(shown()) == scores[:pages.PAGE_SIZE]
    total.click()
    assert totals(shown()) == scores[::-1][:pages.PAGE_SIZE]

    page.fill("input.js-filter", "alumno01")
    wanted = sorted(n for n in res if "alumno01" in n)
    rows = shown()
    assert {r["name"] for r in rows} == set(wanted[:pages.PAGE_SIZE]) or len(wanted) > pages.PAGE_SIZE
    assert all("alumno01" in r["name"] for r in rows) and len(rows) == min(len(wanted), pages.PAGE_SIZE)
    assert f"{len(wanted)} " in page.text_content(".js-status")
    # sorted descending by total, still: the filtered rows keep the order
    assert totals(rows) == sorted(totals(rows), reverse=True)
    page.fill("input.js-filter", "")
    assert len(shown()) == pages.PAGE_SIZE
    assert not errors, errors
    page.close()
