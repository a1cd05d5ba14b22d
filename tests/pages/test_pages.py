"""Report pages (autograder/pages/): `autograder grade` writes OUT/index.html, OUT/<name>/
feedback.html and OUT/grades.csv; headless Chromium (Debian's, through Playwright) loads them:
no console errors, every picture decodes, the numbers shown equal those recomputed from the
results.json files, the table sorts and filters from the keyboard. Screenshots are saved under
tests/artifacts/pages/ (git-ignored) for a human to look at.

Grades the bundled ps1 examples once (about half a minute), a batch of unusable submissions and
the ps1 mutant corpus (a minute or two each on a loaded machine)."""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading import scoring

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "pages"
CHROMIUM = "/usr/bin/chromium"

# the students' names in the order the class table shows them
ROW_NAMES = "() => Array.from(document.querySelectorAll('table.grades tbody tr')).map(r => r.dataset.name)"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]
ASSIGNMENT = "ps1_corr2d"


def cli(*args, check=True, timeout=900):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "assignments")]))
    proc = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def results_of(out):
    found = {}
    for folder in sorted(Path(out).iterdir()):
        if (folder / "results.json").is_file():
            found[folder.name] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return found


def object_scores(res):
    """{object: (score, max)} recomputed here from the tests (independent of report.py)."""
    out = {}
    for t in res["tests"]:
        obj = t["name"].split(":", 1)[0].strip()
        s, m = out.get(obj, (0, 0))
        out[obj] = (s + t["score"], m + t["max_score"])
    return out


def num(text):
    return float(text.strip().replace(",", "."))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("pages") / "out"
    proc = cli("grade", "--assignment", ASSIGNMENT, "--out", str(out), "--jobs", "2",
               str(ROOT / "examples" / ASSIGNMENT))
    assert "index.html" in proc.stdout
    return out


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; make setup does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path, shot):
    """Load a page; -> (page, console errors). Saves a full-page screenshot."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append("network: " + r.url)
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(Path(path).as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    print("screenshot:", ARTIFACTS / shot)
    return page, errors


def images_ok(page):
    imgs = page.evaluate("""() => Array.from(document.images).map(i => ({
        ok: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt') || '',
        src: i.getAttribute('src').slice(0, 22)}))""")
    assert all(i["ok"] for i in imgs), imgs
    assert all(len(i["alt"]) > 20 for i in imgs), imgs
    # PNGs (histogram, training curve) and SVG heatmaps written from the arrays
    assert all(i["src"] in ("data:image/png;base64,", "data:image/svg+xml;bas") for i in imgs), imgs
    return len(imgs)


# ---------------------------------------------------------------- files written by `grade`

@pytest.mark.sandbox
def test_grade_writes_pages_and_grades_csv(graded):
    res = results_of(graded)
    assert set(res) == {"con_errores", "perfecta", "sin_resolver"}
    assert (graded / "index.html").is_file()
    for name in res:
        page = graded / name / "feedback.html"
        assert page.is_file()
        assert page.stat().st_size < 400_000, f"{name}: {page.stat().st_size} bytes"
    with open(graded / "grades.csv", encoding="utf-8") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(res)
    for name, r in res.items():
        assert num(rows[name]["score"]) == r["score"]
        for obj, (s, _m) in object_scores(r).items():
            assert num(rows[name][f"{ASSIGNMENT}:{obj}"]) == s


@pytest.mark.sandbox
def test_failing_tensor_checks_keep_their_tensors(graded):
    res = results_of(graded)["con_errores"]
    snaps = [t["extra_data"]["tensors"] for t in res["tests"]
             if t["status"] == "failed" and "tensors" in (t.get("extra_data") or {})]
    assert snaps, "no failing check_tensor recorded its tensors"
    course = next(s for s in snaps if s["inputs"].get("X") == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
                  and s["call"].startswith("corr2d"))
    assert course["expected"] == [[19, 25], [37, 43]]  # COURSE.md's fact
    assert course["obtained"] != course["expected"]
    keys = {t["extra_data"].get("misconception") for t in res["tests"] if t.get("extra_data")}
    assert {"off_by_one", "flipped_one_axis"} <= keys
    # the perfect submission carries no tensors (nothing failed)
    perfect = results_of(graded)["perfecta"]
    assert not any("tensors" in (t.get("extra_data") or {}) for t in perfect["tests"])


@pytest.mark.sandbox
def test_student_pages_show_no_test_source_or_reference_code(graded):
    reference = (ROOT / "reference" / f"{ASSIGNMENT}.py").read_text(encoding="utf-8")
    solution_lines = {ln.strip() for block in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION",
                                                         reference, re.S)
                      for ln in block.splitlines() if len(ln.strip()) > 24}
    suite = (ROOT / "autograder" / "suites" / ASSIGNMENT / f"test_{ASSIGNMENT}.py").read_text(encoding="utf-8")
    suite_lines = {ln.strip() for ln in suite.splitlines()
                   if len(ln.strip()) > 30 and not ln.strip().startswith(("@", "#", '"', "es=", "en="))}
    assert solution_lines and suite_lines
    for name in ("con_errores", "perfecta", "sin_resolver"):
        import html
        text = html.unescape((graded / name / "feedback.html").read_text(encoding="utf-8"))
        assert "def test_" not in text
        leaked = [ln for ln in solution_lines | suite_lines if ln in text]
        assert not leaked, leaked


@pytest.mark.sandbox
def test_no_report_option(graded, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(graded, out)
    for page in [out / "index.html", out / "grades.csv", *out.glob("*/feedback.html")]:
        page.unlink()
    # the same batch again: resumed from the copied results, without pages
    cli("grade", "--assignment", ASSIGNMENT, "--out", str(out), "--no-report",
        str(ROOT / "examples" / ASSIGNMENT))
    assert not (out / "index.html").exists() and not list(out.glob("*/feedback.html"))
    proc = cli("report", str(out), "--lang", "en")
    assert str(out / "index.html") in proc.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "Class report" in index
    student = (out / "con_errores" / "feedback.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in student and "Failing tests" in student


# ---------------------------------------------------------------- in the browser

@pytest.mark.browser
@pytest.mark.sandbox
def test_class_page_in_browser(graded, browser):
    res = results_of(graded)
    page, errors = open_page(browser, graded / "index.html", "index.png")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert images_ok(page) >= 1  # the histogram
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('table.grades tbody tr'))
        .map(r => ({name: r.dataset.name, cells: Array.from(r.cells).map(c => c.textContent.trim()),
                    href: r.querySelector('a').getAttribute('href')}))""")
    objects = list(scoring.POINTS[ASSIGNMENT])
    assert sorted(r["name"] for r in rows) == sorted(res)
    for r in rows:
        expected = object_scores(res[r["name"]])
        assert [num(c) for c in r["cells"][1:1 + len(objects)]] == [expected[o][0] for o in objects]
        assert num(r["cells"][1 + len(objects)]) == res[r["name"]]["score"]
        assert (graded / r["href"]).is_file()
    mean = sum(r["score"] for r in res.values()) / len(res)
    assert abs(num(page.text_content("span.mean")) - mean) < 0.01
    rates = page.evaluate("""() => Array.from(document.querySelectorAll('table.pass-rate tbody tr'))
        .map(r => [r.dataset.test, r.cells[1].textContent.trim()])""")
    names = {t["name"] for r in res.values() for t in r["tests"]}
    assert {name for name, _ in rates} == names
    for name, text in rates:
        passed = sum(t["status"] == "passed" for r in res.values() for t in r["tests"] if t["name"] == name)
        assert text == f"{passed} / {len(res)}"
    miscon = dict(page.evaluate("""() => Array.from(document.querySelectorAll('table.misconceptions tbody tr'))
        .map(r => [r.dataset.key, Number(r.dataset.count)])"""))
    counted = {}
    for name, r in res.items():
        for key in {(t.get("extra_data") or {}).get("misconception") for t in r["tests"]
                    if t["status"] == "failed"} - {None}:
            counted[key] = counted.get(key, 0) + 1
    assert miscon == counted and counted

    # keyboard: sort by the total (Enter on its header button), then filter by name
    total_col = 1 + len(objects)
    button = page.locator("table.grades thead th").nth(total_col).locator("button")
    button.focus()
    page.keyboard.press("Enter")
    order = page.evaluate(ROW_NAMES)
    assert [res[n]["score"] for n in order] == sorted(r["score"] for r in res.values())
    page.keyboard.press("Enter")
    order = page.evaluate(ROW_NAMES)
    assert [res[n]["score"] for n in order] == sorted((r["score"] for r in res.values()), reverse=True)
    page.focus("input.js-filter")
    page.keyboard.type("perf")
    visible = page.evaluate("() => Array.from(document.querySelectorAll('table.grades tbody tr'))"
                            ".filter(r => !r.hidden).map(r => r.dataset.name)")
    assert visible == ["perfecta"]
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("name", ["con_errores", "perfecta", "sin_resolver"])
@pytest.mark.browser
@pytest.mark.sandbox
def test_student_page_in_browser(graded, browser, name):
    res = results_of(graded)[name]
    page, errors = open_page(browser, graded / name / "feedback.html", f"{name}.png")
    assert page.evaluate("document.documentElement.lang") == "es"
    n_images = images_ok(page)
    total = page.locator("#total")
    assert num(total.get_attribute("data-score")) == res["score"]
    assert total.text_content().split("/")[0].strip() == f"{res['score']:g}"
    shown = {r[0]: (num(r[1]), num(r[2])) for r in page.evaluate(
        """() => Array.from(document.querySelectorAll('#objects tbody tr'))
        .map(r => [r.dataset.object, r.dataset.score, r.dataset.max])""")}
    assert shown == object_scores(res)
    failing = [t for t in res["tests"] if t["status"] == "failed"]
    sections = page.locator("section.test")
    assert sections.count() == len(failing)
    drawable = [t for t in failing if {"expected", "obtained"} & set(
        ((t.get("extra_data") or {}).get("tensors") or {}))]
    assert n_images == min(len(drawable), 10)
    if name == "con_errores":
        assert n_images >= 4  # heatmaps of expected vs obtained
        assert page.locator("p.hint").count() >= 1
    if name == "perfecta":
        assert n_images == 0 and not failing
    assert not errors, errors
    page.close()


# ---------------------------------------------------------------- unusable submissions

BAD = ["empty.py", "empty.ipynb", "invalid_json.ipynb", "syntax_error_cell.ipynb",
       "missing_functions.py", "nothing_gradable"]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.sandbox
def test_unusable_submissions_are_listed_with_their_message(tmp_path, browser):
    batch = tmp_path / "lote"
    batch.mkdir()
    for item in BAD:
        src = ROOT / "tests" / "corpus" / "bad_inputs" / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, batch / item)
    # hits a limit: corr2d never returns (stopped after the per-call timeout)
    (batch / "bucle.py").write_text("def corr2d(X, K):\n    while True:\n        pass\n", encoding="utf-8")
    # flagged by the grader for an instructor to review (it touches signal handlers)
    shutil.copy(ROOT / "tests" / "corpus" / "cheats" / "infinite_loop.py", batch)
    out = tmp_path / "out"
    # a budget of two timed-out calls: the loops are stopped as in a real batch, without spinning
    # through every test's 10 s
    cli("grade", "--assignment", ASSIGNMENT, "--out", str(out), "--jobs", "2", "--budget", "20", str(batch))
    res = results_of(out)
    assert len(res) == len(BAD) + 2
    for name in res:
        assert (out / name / "feedback.html").is_file()
    page, errors = open_page(browser, out / "index.html", "index_unusable.png")
    images_ok(page)
    problems = dict(page.evaluate("""() => Array.from(document.querySelectorAll('table.problems tbody tr'))
        .map(r => [r.dataset.name, r.querySelector('pre').textContent])"""))
    not_loaded = {n for n, r in res.items() if r["extra_data"].get("loaded") is False}
    assert len(not_loaded) >= 4
    for n in not_loaded:
        assert problems[n].strip() == res[n]["output"].strip()
    assert "10 s" in problems["bucle"]
    review = res["infinite_loop"]["extra_data"].get("review")
    if review:  # the static check flagged it: listed with what it flagged
        assert "infinite_loop" in problems and "signal" in problems["infinite_loop"]
    else:  # it ran and was stopped
        assert "10 s" in problems["infinite_loop"]
    assert not errors, errors
    page.close()
    with open(out / "grades.csv", encoding="utf-8") as f:
        assert {r["name"] for r in csv.DictReader(f)} == set(res)


# ---------------------------------------------------------------- kill table

def mutant_target(path):
    import ast
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return re.search(r"^target:\s*(\S+)", doc, re.M).group(1)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.sandbox
def test_kill_table_matches_direct_grading(tmp_path, browser):
    corpus = ROOT / "tests" / "corpus" / "mutants" / ASSIGNMENT
    out = tmp_path / "out"
    cli("grade", "--assignment", ASSIGNMENT, "--out", str(out), "--jobs", "2", "--no-report", str(corpus))
    direct = results_of(out)
    proc = cli("mutants", "--assignment", ASSIGNMENT, "--out", str(out))
    table = json.loads((out / "killtable.json").read_text(encoding="utf-8"))
    rows = {r["mutant"]: r for r in table["rows"]}
    assert set(rows) == {p.stem for p in corpus.glob("*.py")} == set(direct)
    for path in corpus.glob("*.py"):
        target = mutant_target(path)
        got, top = object_scores(direct[path.stem])[target]
        row = rows[path.stem]
        assert row["target"] == target
        assert row["killed"] == (got < top), path.stem
        found = sorted({(t.get("extra_data") or {}).get("misconception") for t in direct[path.stem]["tests"]
                        if t["status"] == "failed" and t["name"].startswith(target + ":")} - {None})
        assert row["misconceptions"] == found, path.stem
        # the printed table has one line per mutant with its verdict
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(path.stem + " "))
        assert ("detectado" in line) == (got < top) and target in line
    for obj in scoring.POINTS[ASSIGNMENT]:
        mine = [p for p in corpus.glob("*.py") if mutant_target(p) == obj]
        killed = sum(object_scores(direct[p.stem])[obj][0] < object_scores(direct[p.stem])[obj][1] for p in mine)
        assert table["objects"][obj] == dict(table["objects"][obj], mutants=len(mine), killed=killed)

    # the class page shows it, and pairs the mutants (all derived from one solution)
    cli("report", str(out))
    page, errors = open_page(browser, out / "index.html", "index_mutants.png")
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('table.killtable tbody tr'))
        .map(r => [r.dataset.object, Number(r.dataset.killed), Number(r.dataset.mutants)])""")
    assert {o: (k, m) for o, k, m in shown} == {o: (e["killed"], e["mutants"]) for o, e in table["objects"].items()}
    # nine mutants of one solution, fewer than the common-code limit: one cluster of them
    assert page.locator("details.cluster tr.pair").count() >= 1
    assert not errors, errors
    page.close()


# ---------------------------------------------------------------- ps5: the training curve

@pytest.mark.browser
@pytest.mark.sandbox
def test_training_curve_from_the_training_check(tmp_path, browser):
    """ps5's training test records the per-epoch accuracy; the page draws it against the bar.
    (The CheckResult is built here instead of training a LeNet: minutes on a CPU.)"""
    from autograder.grading import result_files
    from autograder.pages.build import build
    from autograder.suites.ps5_lenet.test_ps5_lenet_training import _page_data
    from autograder.training.check import CheckResult

    result = CheckResult(name="lenet_modern", ok=False, stage="training",
                         text="exactitud 0.800, mínimo 0.870", accuracy=0.80, threshold=0.87,
                         history={"test_acc": [0.61, 0.72, 0.78, 0.80]})
    data = _page_data(result)
    assert data["training"]["test_acc"] == [0.61, 0.72, 0.78, 0.80]
    res = {"score": 0, "max_score": 25, "output": "", "execution_time": 1.0,
           "tests": [{"name": "lenet_modern: entrenada por el corrector", "score": 0, "max_score": 3,
                      "status": "failed", "output": "exactitud 0.800, mínimo 0.870",
                      "visibility": "visible", "extra_data": data}],
           "extra_data": {"assignment": "ps5_lenet", "lang": "es", "grader_error": False}}
    folder = tmp_path / "out" / "ana"
    result_files.store(str(folder), str(ROOT / "examples" / "ps5_lenet" / "sin_resolver.ipynb"), "ps5_lenet", "es", res)
    build(str(tmp_path / "out"))
    page, errors = open_page(browser, folder / "feedback.html", "ps5_training.png")
    assert images_ok(page) == 1
    alt = page.locator("figure.training img").get_attribute("alt")
    assert "0.800" in alt and "0.870" in alt and "0.610" in alt
    assert not errors, errors
    page.close()


# ---------------------------------------------------------------- pictures

def test_heatmap_layout_and_alt_text():
    import numpy as np

    from autograder.pages import figures
    from autograder.pages.build import text

    channels = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]                  # (2, 2, 2)
    m = figures.as_matrix(channels)
    assert m.shape == (2, 5) and np.isnan(m[:, 2]).all() and m[1, 4] == 8
    assert figures.as_matrix([channels, channels]).shape == (5, 5)   # (2, 2, 2, 2): rows of channels
    assert figures.as_matrix([[channels]]).shape == (4, 2)           # 5-D: flattened to (-1, w)
    assert figures.as_matrix([1, None, 3]).shape == (1, 3)
    snap = {"inputs": {"X": channels}, "expected": [[1, 2], [3, 4]], "obtained": [[1, 2], [3, None]]}
    uri, alt = figures.tensor_panels(snap, text("es"))
    assert uri.startswith("data:image/svg+xml;base64,")
    assert "X 2×2×2" in alt and "1 de 4 celdas difieren" in alt
    import base64
    import xml.etree.ElementTree as ET
    svg = ET.fromstring(base64.b64decode(uri.split(",", 1)[1]))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(ns + "text")]
    assert {"entrada X", "esperado", "obtenido", "obtenido − esperado"} <= set(texts)
    assert texts.count("4") >= 2  # small matrices carry their numbers (X and expected)
    # the obtained NaN cell is left blank: 8 input cells + 4 expected + 3 obtained + 3 diff, +4 frames
    assert len([r for r in svg.iter(ns + "rect")]) == 1 + 8 + 4 + 3 + 3 + 4
    # a large matrix is one PNG written from the array, one pixel per cell
    big = {"inputs": {}, "expected": [[float(i + j) for j in range(30)] for i in range(20)],
           "obtained": [[0.0] * 30] * 20}
    svg = ET.fromstring(base64.b64decode(figures.tensor_panels(big, text("es"))[0].split(",", 1)[1]))
    png = base64.b64decode(next(svg.iter(ns + "image")).get("href").split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 30
    # different shapes (an off-by-one): no difference panel, both shapes named
    uri, alt = figures.tensor_panels(dict(snap, obtained=[[1, 2, 0]]), text("en"))
    assert "(2×2)" in alt and "(1×3)" in alt and "differ" not in alt


@pytest.mark.parametrize("output, state", [
    ("corr2d tardó más de 10 s y la detuvimos (¿un bucle infinito o demasiado lento?).", "limit"),
    ("corr2d took more than 10 s and was stopped (an endless or too slow loop?).", "limit"),
    ("Prueba no ejecutada por tiempo agotado: tu código ya usó los 60 s ...", "limit"),
    ("The process running your code ended unexpectedly while running corr2d (died: -9).", "limit"),
    ("corr2d devolvió forma (2, 2), se esperaba (3, 3).", "graded"),
])
def test_limits_are_found_in_either_language(output, state):
    from autograder.pages.build import entry_of

    res = {"score": 0, "max_score": 10, "output": "", "extra_data": {"assignment": ASSIGNMENT},
           "tests": [{"name": "corr2d: forma", "score": 0, "max_score": 10, "status": "failed",
                      "output": output}]}
    entry = entry_of("ana", res)
    assert entry.state == state
    assert entry.problem == (output if state == "limit" else "")


def test_page_extra_stays_strict_json():
    """What a test carries for the pages never makes results.json unwritable or non-JSON."""
    import math
    from types import SimpleNamespace

    from autograder.grading.engine import page_extra
    from autograder.text.feedback import Feedback

    exc = Feedback("mensaje", "off_by_one")
    exc.data["tensors"] = {"expected": [[1.0]], "obtained": [[2.0]]}
    item = SimpleNamespace(user_properties=[("points", 2), ("page_data", {"training": {"test_acc": [0.5]}})])
    assert page_extra(item, exc) == {"misconception": "off_by_one", "training": {"test_acc": [0.5]},
                                     "tensors": {"expected": [[1.0]], "obtained": [[2.0]]}}
    exc.data["tensors"] = {"expected": [[math.nan]]}
    assert page_extra(item, exc) == {"misconception": "off_by_one"}
    exc.data["tensors"] = object()
    assert page_extra(SimpleNamespace(user_properties=[]), exc) == {"misconception": "off_by_one"}
    assert page_extra(SimpleNamespace(user_properties=[]), None) == {}
