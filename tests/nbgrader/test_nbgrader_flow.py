"""The course as a real nbgrader course, with a real Jupyter kernel.

One course (a temporary copy of assignments/ and reference/) is set up per module:
generate_assignment ps1_corr2d, fake students' submissions, one `nbgrader autograde`,
then `autograder grade --nbgrader` (nbgrader_gradebook.grade_course), generate_feedback and
export. Students:

    ref       every solution cell filled with the reference
    wrong     the same with an off-by-one corr2d (the feedback page's heatmaps)
    blank     the release, untouched
    partial   only corr2d solved; its solution cell also starts a thread that writes to stderr
              and emits warnings forever (stderr noise must not zero any grade cell)
    tamper    corr2d and conv2d_strict solved; learn_kernel's grade cell replaced by `6.0`,
              corr2d's by `print('10')`, conv2d_strict's grade cell deleted, visible test cells
              edited (corr2d's rebinds corr2d to None) or deleted
    pristine  (not submitted) the same solutions as tamper with the release's test cells
"""
import copy
import csv
import json
import os
import re
import time
from pathlib import Path

import pytest
from nbgrader_course import OFF_BY_ONE_CORR2D, REPO, released_course
from nbgrader_course import grade_id as _gid
from nbgrader_course import nbgrader as _nbgrader

from autograder.grading import engine
from autograder.grading.scoring import POINTS
from autograder.nbgrader.gradebook import grade_course

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox, pytest.mark.slow]

AID = "ps1_corr2d"
CONFIG_LINES = ("\nfrom autograder.nbgrader_hook import autograde_preprocessors  # noqa: E402\n"
                "c.Autograde.autograde_preprocessors = autograde_preprocessors()\n")
NOISE = (
    "import sys as _s, threading as _t, time as _tm, warnings as _w\n"
    "def _ruido():\n"
    "    while True:\n"
    "        print('ruido en stderr', file=_s.stderr)\n"
    "        _w.warn('advertencia de prueba')\n"
    "        _tm.sleep(0.002)\n"
    "_t.Thread(target=_ruido, daemon=True).start()\n"
    "_w.warn('advertencia al definir')\n"
)


SCRIPT_OUTPUTS = (
    "from IPython.display import HTML, Javascript, display\n"
    "display(HTML('<b>visible</b><script>window.html_pwned = 1</script><img src=x onerror=alert(5)>"
    "<iframe src=\"https://example.org/\"></iframe>'))\n"
    "display(Javascript('window.js_pwned = 1'))\n"
    "print('texto normal')\n")


NOTEBOOK_BUDGET = 20

OFF_BY_ONE = OFF_BY_ONE_CORR2D


def _write(course: Path, student: str, nb: dict):
    folder = course / "submitted" / student / AID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{AID}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")


def _filled(release: dict, solutions: dict, names) -> dict:
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        if _gid(cell) in names:
            cell["source"] = solutions[_gid(cell)]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")

    def configure(course):
        assert (course / "source" / AID / f"{AID}.ipynb").is_file(), f"no source notebook for {AID}"
        cfg = course / "nbgrader_config.py"
        if "autograde_preprocessors" not in cfg.read_text():
            cfg.write_text(cfg.read_text() + CONFIG_LINES)      # see test_course_config_strips_hook_stderr
        # a notebook's wall-clock budget, short here so that the sleeper below costs little
        cfg.write_text(cfg.read_text() + f"\nc.ConfinedExecute.notebook_budget = {NOTEBOOK_BUDGET}\n")
        if os.geteuid() != 0:   # no bwrap for the kernel: these tests are about scores, not confinement
            cfg.write_text(cfg.read_text() + "\nc.ConfinedKernelManager.require_confinement = False\n")

    course, env, release, solutions = released_course(base, AID, configure)
    sol = {name: f"sol_{name}" for name in POINTS[AID]}
    assert set(sol.values()) <= set(solutions), solutions.keys()

    _write(course, "ref", _filled(release, solutions, set(sol.values())))
    # every function written, corr2d off by one (its heatmaps show in the feedback page)
    wrong = _filled(release, solutions, set(sol.values()))
    for cell in wrong["cells"]:
        if _gid(cell) == sol["corr2d"]:
            cell["source"] = OFF_BY_ONE
    _write(course, "wrong", wrong)
    _write(course, "blank", release)

    partial = _filled(release, solutions, {sol["corr2d"]})
    for cell in partial["cells"]:
        if _gid(cell) == sol["corr2d"]:
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = NOISE + src
    _write(course, "partial", partial)

    pristine = _filled(release, solutions, {sol["corr2d"], sol["conv2d_strict"]})
    tamper = copy.deepcopy(pristine)
    kept = []
    for cell in tamper["cells"]:
        gid = _gid(cell) or ""
        if gid == "test_conv2d_strict":
            continue                                   # deleted grade cell
        if gid == "test_learn_kernel":
            cell["source"] = "6.0"
        elif gid == "test_corr2d":
            cell["source"] = "print('10')"
        elif gid == "visible_corr2d":
            cell["source"] = "corr2d = None"
        elif gid.startswith("visible_") and gid != "visible_corr2d":
            continue                                   # deleted visible cells
        kept.append(cell)
    tamper["cells"] = kept
    _write(course, "tamper", tamper)
    # outputs that would run in the instructor's or the student's browser (issue 20)
    scripter = _filled(release, solutions, {sol["corr2d"]})
    scripter["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                              "source": SCRIPT_OUTPUTS})
    scripter["cells"].append({"cell_type": "markdown", "metadata": {},
                              "source": "Mi respuesta <script>window.md_pwned = 1</script> "
                                        "<img src=x onerror=alert(7)>"})
    _write(course, "scripter", scripter)
    # a cell that sleeps far past the notebook's budget, and cells after it
    sleeper = _filled(release, solutions, {sol["corr2d"]})
    at = next(i for i, c in enumerate(sleeper["cells"]) if _gid(c) == sol["corr2d"]) + 1
    sleeper["cells"].insert(at, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                 "source": "import time\nprint('antes de dormir')\ntime.sleep(600)"})
    sleeper["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                             "source": "print('nunca se ejecuta')"})
    _write(course, "sleeper", sleeper)
    pristine_path = base / "pristine.ipynb"
    pristine_path.write_text(json.dumps(pristine, ensure_ascii=False), encoding="utf-8")

    started = time.monotonic()
    _nbgrader(course, "autograde", AID, env=env)
    autograde_seconds = time.monotonic() - started
    nbgrader_scores = _gradebook_scores(course)
    nbgrader_csv = course / "nbgrader-export.csv"
    _nbgrader(course, "export", "--to", str(nbgrader_csv), env=env)

    # the hardened grader on the same files (engine.grade == `autograder grade`)
    ours_csv = course / "hardened.csv"
    rows = grade_course(course, AID, lang="es", device="cpu", csv_path=ours_csv, log=lambda m: None)
    return {"path": course, "env": env, "nbgrader": nbgrader_scores, "rows": {r["student_id"]: r for r in rows},
            "nbgrader_csv": nbgrader_csv, "ours_csv": ours_csv, "pristine": pristine_path,
            "autograde_seconds": autograde_seconds}


def _gradebook_scores(course: Path) -> dict:
    """{student: {grade cell: auto_score}} as nbgrader stored them."""
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-humai") as gb:
        for student in ("ref", "wrong", "blank", "partial", "tamper", "scripter", "sleeper"):
            sub = gb.find_submission(AID, student)
            out[student] = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
    return out


def _object_points(row) -> dict:
    return {obj: e.score for obj, e in row["notebooks"][AID].object_scores().items()}


def _src(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _autograded(course, student):
    return json.loads((course / "autograded" / student / AID / f"{AID}.ipynb").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ same scores

@pytest.mark.parametrize("student", ["ref", "blank", "partial"])
def test_nbgrader_autograde_equals_autograder_grade(course, student):
    ours = _object_points(course["rows"][student])
    theirs = course["nbgrader"][student]
    assert {name: theirs[f"test_{name}"] for name in POINTS[AID]} == ours
    assert sum(theirs.values()) == course["rows"][student]["score"]


def test_expected_scores(course):
    total = sum(POINTS[AID].values())
    assert course["rows"]["ref"]["score"] == total
    assert course["rows"]["blank"]["score"] == 0
    assert course["rows"]["partial"]["score"] == POINTS[AID]["corr2d"]


def test_stderr_noise_does_not_zero_grade_cells(course):
    nb = _autograded(course["path"], "partial")
    cells = {_gid(c): c for c in nb["cells"]}
    # the noise really happened (in the student's own cell) ...
    noisy = cells["sol_corr2d"]["outputs"]
    assert any(o.get("name") == "stderr" for o in noisy)
    # ... and no grade cell carries stderr: corr2d got its 10 points
    for name in POINTS[AID]:
        assert not [o for o in cells[f"test_{name}"]["outputs"] if o.get("name") == "stderr"]
    assert course["nbgrader"]["partial"]["test_corr2d"] == POINTS[AID]["corr2d"]


def test_grade_cell_prints_feedback_and_returns_points(course):
    nb = _autograded(course["path"], "partial")
    cell = next(c for c in nb["cells"] if _gid(c) == "test_learn_kernel")
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o.get("name") == "stdout")
    assert "learn_kernel: 0 / 6 puntos" in text and "✗" in text
    result = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
    assert "".join(result[0]["data"]["text/plain"]) == "0.0"
    assert "def test_" not in text and "assert " not in text        # no hidden test source


# ------------------------------------------------------------------ tampering students

def test_nbgrader_checksums_restore_edited_test_cells(course):
    """Edited locked cells are put back from the gradebook before execution: the replaced
    grade cells ran the hook again (learn_kernel: 0, not the 6.0 the student wrote), the edited
    visible cell is the original one."""
    nb = _autograded(course["path"], "tamper")
    cells = {_gid(c): c for c in nb["cells"]}
    assert "hidden_score" in _src(cells["test_corr2d"])
    assert "hidden_score" in _src(cells["test_learn_kernel"])
    assert _src(cells["visible_corr2d"]) != "corr2d = None"
    scores = course["nbgrader"]["tamper"]
    assert scores["test_learn_kernel"] == 0
    assert scores["test_corr2d"] == POINTS[AID]["corr2d"]


def test_nbgrader_does_not_restore_deleted_grade_cells(course):
    """nbgrader's default (OverwriteCells.add_missing_cells = False): a deleted grade cell is not
    run and gets no automatic score. The hardened pass scores it anyway."""
    nb = _autograded(course["path"], "tamper")
    assert "test_conv2d_strict" not in {_gid(c) for c in nb["cells"]}
    assert course["nbgrader"]["tamper"]["test_conv2d_strict"] is None
    assert _object_points(course["rows"]["tamper"])["conv2d_strict"] == POINTS[AID]["conv2d_strict"]


def test_hardened_path_ignores_students_copy_of_test_cells(course):
    """The tampered notebook grades exactly like the same solutions with the release's test
    cells: the student's copy of any test cell (edited, deleted) plays no part."""
    pristine = engine.grade(str(course["pristine"]), AID, lang="es", device="cpu")
    tampered = course["rows"]["tamper"]["notebooks"][AID].to_gradescope()
    assert {t["name"]: t["score"] for t in tampered["tests"]} == {t["name"]: t["score"] for t in pristine["tests"]}
    assert course["rows"]["tamper"]["score"] == POINTS[AID]["corr2d"] + POINTS[AID]["conv2d_strict"]


# ------------------------------------------------------------------ gradebook, feedback, export

def test_hardened_scores_are_in_the_gradebook(course):
    after = _gradebook_scores(course["path"])
    for student, row in course["rows"].items():
        ours = _object_points(row)
        assert after[student] == {f"test_{k}": v for k, v in ours.items()}


def test_csv_has_nbgrader_export_columns_and_scores(course):
    with open(course["nbgrader_csv"]) as fh:
        header = next(csv.reader(fh))
    with open(course["ours_csv"]) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == header
    got = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == AID}
    assert got == {s: r["score"] for s, r in course["rows"].items()}
    # nbgrader's own export now shows the same numbers
    out = course["path"] / "export-after.csv"
    _nbgrader(course["path"], "export", "--to", str(out), env=course["env"])
    with open(out) as fh:
        theirs = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh) if r["assignment"] == AID}
    assert theirs == got


def test_generate_feedback_shows_hardened_scores(course):
    _nbgrader(course["path"], "generate_feedback", AID, env=course["env"])
    html = (course["path"] / "feedback" / "tamper" / AID / f"{AID}.html").read_text(encoding="utf-8")
    total = POINTS[AID]["corr2d"] + POINTS[AID]["conv2d_strict"]
    assert f"Score: {float(total):g}" in html or f"{float(total)} / {float(sum(POINTS[AID].values()))}" in html
    ref_html = (course["path"] / "feedback" / "ref" / AID / f"{AID}.html").read_text(encoding="utf-8")
    assert "Todas las pruebas ocultas de corr2d pasan" in ref_html
    # the grade cells show a comment instead of the hidden hook call (HideHiddenTests)
    for page in (html, ref_html):
        assert "hidden_score" not in page and "nbgrader_hook" not in page
    assert ref_html.count("Pruebas ocultas del corrector: ver el resultado abajo") == len(POINTS[AID])
    # beside nbgrader's page, the student's report page from the trusted result (AttachStudentPage)
    page = (course["path"] / "feedback" / "tamper" / AID / f"{AID}.autograder.html").read_text(encoding="utf-8")
    assert "Devolución" in page and f"{total:g} / 20" in page
    assert "hidden_score" not in page and "BEGIN SOLUTION" not in page
    # ... and inside nbgrader's own feedback page, which release_feedback/fetch_feedback deliver
    # (as markup, not as escaped text: test_feedback_html_shows_the_graphical_page_in_a_browser)
    assert '<div class="ag-page"' in html and "&lt;iframe" not in html and "&lt;img" not in html


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]


def test_feedback_html_shows_the_graphical_page_in_a_browser(course):
    """The `<notebook>.html` that generate_feedback writes is the file release_feedback and
    fetch_feedback copy to the student unchanged (nbgrader's exchange copies it byte for byte):
    opened in headless Chromium it shows the graphical page (heatmaps decoded, every picture with
    alternative text), no escaped markup as text, long lines wrapped, and the scores of the
    trusted grading. generate_feedback itself warns about nothing of ours."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; make setup does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    student = "wrong"
    proc = _nbgrader(course["path"], "generate_feedback", AID, "--student", student, "--force", env=course["env"])
    log = proc.stdout + proc.stderr
    assert "display_data_priority" not in log and "not recognized" not in log, log[-3000:]
    assert "Alternative text is missing" not in log, log[-3000:]
    path = course["path"] / "feedback" / student / AID / f"{AID}.html"
    row = course["rows"][student]
    result = row["notebooks"][AID].to_gradescope()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # nbgrader's feedback template loads MathJax from a CDN (its own, not ours): answered
        # here with an empty script; anything else leaving the machine is an error
        page.route("**/mathjax/**", lambda route: route.fulfill(body="", content_type="text/javascript"))
        page.on("request", lambda r: errors.append("network: " + r.url)
                if not r.url.startswith(("file:", "data:")) and "/mathjax/" not in r.url else None)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        shots = REPO / "tests" / "artifacts" / "pages"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "nbgrader_feedback.png"), full_page=True)
        text = page.evaluate("document.body.innerText")
        images = page.evaluate("""() => Array.from(document.images).map(i => ({
            ok: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt') || '',
            page: !!i.closest('.ag-page')}))""")
        total = page.evaluate("document.querySelector('.ag-page #total').textContent")
        objects = page.evaluate("""() => Array.from(document.querySelectorAll('.ag-page #objects tbody tr'))
            .map(r => [r.dataset.object, r.dataset.score])""")
        heading = page.evaluate("document.querySelector('.panel-heading h4').textContent")
        overflowing = page.evaluate("""() => Array.from(document.querySelectorAll('div.output_text pre'))
            .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 80))""")
        browser.close()
    assert not errors, errors
    for escaped in ("<iframe", "<img", "srcdoc", "&lt;", "data:image", "<!DOCTYPE"):
        assert escaped not in text, escaped
    assert "Tu devolución con gráficos" in text and "Posible causa" in text
    # the heatmaps of the failing checks, decoded, each with its description
    drawable = [t for t in result["tests"] if t["status"] == "failed"
                and {"expected", "obtained"} & set((t.get("extra_data") or {}).get("tensors") or {})]
    assert drawable
    assert sum(i["page"] for i in images) == min(len(drawable), 10)
    assert all(i["ok"] for i in images), images
    assert all(len(i["alt"]) > 10 for i in images), images
    # the scores shown are the trusted grading's
    assert total.replace(" ", "") == f"{row['score']:g}/{sum(POINTS[AID].values()):g}"
    assert {o: float(s) for o, s in objects} == _object_points(row)
    assert f"Score: {float(row['score'])}" in heading
    assert not overflowing, overflowing


def test_student_outputs_are_sanitised_in_the_autograded_notebook_and_the_feedback(course):
    """display(HTML('<script>...')), display(Javascript(...)) and a markdown cell with a script:
    nothing runnable reaches formgrader (the autograded notebook) or the feedback HTML; text and
    the scores stay."""
    nb = _autograded(course["path"], "scripter")
    student_parts = json.dumps([c.get("outputs", []) for c in nb["cells"]]
                               + [c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"])
    for bad in ("<script", "onerror", "<iframe", "application/javascript", "js_pwned"):
        assert bad not in student_parts, bad
    assert "<b>visible</b>" in student_parts and "texto normal" in student_parts
    assert course["rows"]["scripter"]["score"] == POINTS[AID]["corr2d"]
    _nbgrader(course["path"], "generate_feedback", AID, "--student", "scripter", "--force", env=course["env"])
    html = (course["path"] / "feedback" / "scripter" / AID / f"{AID}.html").read_text(encoding="utf-8")
    # the code the student wrote is shown as code (escaped); nothing of it becomes markup
    assert not re.search(r"<script[^>]*>[^<]*pwned", html)
    assert not re.search(r"<[a-z]+[^>]*\sonerror=", html) and "<iframe src" not in html
    assert "<b>visible</b>" in html and "texto normal" in html


def test_a_sleeping_cell_is_stopped_at_the_notebooks_budget(course):
    """The course's per-cell timeout is 3600 s; the notebook's budget stops the sleeper's cell,
    says so in that cell, skips the rest, and the notebook keeps its trusted score."""
    nb = _autograded(course["path"], "sleeper")
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    sleeping = next(c for c in cells if "time.sleep(600)" in _src(c))
    text = json.dumps(sleeping["outputs"], ensure_ascii=False)
    assert "antes de dormir" in text and f"usó los {NOTEBOOK_BUDGET} s" in text, text
    last = next(c for c in cells if "nunca se ejecuta" in _src(c))
    assert "nunca se ejecuta" not in json.dumps(last.get("outputs", []))
    assert course["rows"]["sleeper"]["score"] == POINTS[AID]["corr2d"]
    sleeper_points = _object_points(course["rows"]["sleeper"])
    assert course["nbgrader"]["sleeper"] == {f"test_{k}": v for k, v in sleeper_points.items()}
    # eight students, one of them asleep for 600 s: the command ends within the budgets
    assert course["autograde_seconds"] < 600


def test_hide_hook_lines_keeps_the_rest_of_the_cell():
    from autograder.nbgrader.feedback import PLACEHOLDER, hide_hook_lines
    cell = ("x = 1\n### BEGIN HIDDEN TESTS\nfrom autograder.nbgrader_hook import hidden_score\n"
            "hidden_score('ps1_corr2d', 'corr2d')\n### END HIDDEN TESTS\nprint(x)")
    assert hide_hook_lines(cell) == f"x = 1\n{PLACEHOLDER}\nprint(x)"
    # without the markers (a restored source that lost them), the lines naming the hook go
    assert hide_hook_lines("from autograder.nbgrader_hook import hidden_score\n"
                           "hidden_score('ps1_corr2d', 'corr2d')") == PLACEHOLDER


def test_course_config_strips_hook_stderr():
    """assignments/nbgrader_config.py inserts the StripHookStderr preprocessor (a student's
    background thread can write to stderr while a grade cell runs)."""
    assert "autograde_preprocessors()" in (REPO / "assignments" / "nbgrader_config.py").read_text()


def test_sanitiser_keeps_plots_text_tables_and_the_release_text():
    import nbformat

    from autograder.nbgrader.sanitize import SanitizeStudentOutputs

    code = nbformat.v4.new_code_cell("x")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": "<table><tr><td onclick='x()'>1</td></tr></table><style>body{}</style>",
            "text/plain": "t"}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='x()'/>", "text/plain": "s"}),
        nbformat.v4.new_output("stream", name="stdout", text="<b>literal</b>\n")]
    released = nbformat.v4.new_markdown_cell("Texto del curso: a < b, `<tag>`",
                                             metadata={"nbgrader": {"locked": True, "grade": False,
                                                                    "solution": False, "grade_id": "intro"}})
    answer = nbformat.v4.new_markdown_cell("Mi respuesta <iframe src='x'></iframe>",
                                           metadata={"nbgrader": {"solution": True, "grade": True,
                                                                  "locked": False, "grade_id": "a"}})
    nb = nbformat.v4.new_notebook(cells=[code, released, answer])
    nb, _ = SanitizeStudentOutputs()(nb, {})
    html, png, svg, stream = nb.cells[0].outputs
    assert html.data["text/html"] == "<table><tbody><tr><td>1</td></tr></tbody></table>body{}"
    assert png.data["image/png"] == "iVBORw0KGgo="            # plots kept as they are
    assert "image/svg+xml" not in svg.data and svg.data["text/plain"] == "s"
    assert stream.text == "<b>literal</b>\n"                 # a stream is text, shown escaped anyway
    assert nb.cells[1].source == "Texto del curso: a < b, `<tag>`"
    assert nb.cells[2].source == "Mi respuesta "


def test_manual_grade_shows_in_the_printed_total_as_in_the_csv(course, tmp_path):
    """After a manual override in Formgrader, `autograder grade --nbgrader --student X` prints the
    gradebook's total (manual grade included), the number its CSV holds, in Spanish only. Runs
    last: it puts the gradebook back as it found it."""
    import subprocess
    import sys

    from nbgrader.api import Gradebook
    student, cell = "partial", "test_conv2d_strict"
    url = f"sqlite:///{course['path'] / 'gradebook.db'}"
    with Gradebook(url, "cnn-humai") as gb:
        grade = gb.find_grade(cell, AID, AID, student)
        grade.manual_score = POINTS[AID]["conv2d_strict"]
        gb.db.commit()
    out_csv = tmp_path / "grades.csv"
    env = dict(course["env"], PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "assignments")]))
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--nbgrader", str(course["path"]),
                               "--assignment", AID, "--student", student, "--csv", str(out_csv),
                               "--device", "cpu"], env=env, capture_output=True, text=True, timeout=600)
    finally:
        with Gradebook(url, "cnn-humai") as gb:
            gb.find_grade(cell, AID, AID, student).manual_score = None
            gb.db.commit()
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    expected = POINTS[AID]["corr2d"] + POINTS[AID]["conv2d_strict"]
    with open(out_csv, encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["student_id"] == student)
    assert float(row["score"]) == expected
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(student))
    assert f"{expected:g}" in line.split() and "con nota manual" in line, proc.stdout
    assert f" {POINTS[AID]['corr2d']:g} " in f" {line} "             # corr2d's own 10 is still shown
    for english in ("wrote ", "no submission", "changed after", "points for"):
        assert english not in proc.stdout + proc.stderr
    assert f"{student}: {expected:g} / 20" in proc.stderr
