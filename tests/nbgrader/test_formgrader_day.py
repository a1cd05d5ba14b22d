"""The instructor's day in the browser: a real JupyterLab 4 server with nbgrader's Formgrader,
driven by headless Chromium (Debian's, through Playwright), then the student's side.

One server for the module, serving a temporary copy of the course (tests/nbgrader_course.py
`course_copy`: assignments/ + reference/, ps1's source notebook built, nothing generated) with an
nbgrader exchange in a temporary folder. The day, in order:

1. The instructor logs in with the server's token (Jupyter's login form) and opens Formgrader's
   Manage Assignments page: the Generate button (student version of ps1_corr2d), the Release
   button (into the exchange).
2. Three students (`nbgrader fetch_assignment` / `submit` with `--student`, each in a folder of
   their own, no course config): `ref` fills every solution cell with the reference, `wrong`
   the same with an off-by-one corr2d, `blank` submits the release untouched.
3. Formgrader: Collect; Manage Submissions (the submissions count's link); the Autograde button
   of each student, one click each (as root the students' kernels run in our bwrap sandbox, the
   log in the dialog says so). The scores Formgrader shows equal `autograder grade`'s
   (`engine.grade` on the notebooks the students submitted).
4. A manual grade: ps1 has no manually graded cell, so the instructor overrides an autograded
   cell's score (wrong's test_corr2d) in Formgrader's grading page (Manage Students → the
   student → the notebook → the score box); the gradebook keeps it.
5. Manage Assignments: Generate Feedback, then Release Feedback (into the exchange), and each
   student runs `nbgrader fetch_feedback`.
6. As the student: the fetched `ps1_corr2d/feedback/<timestamp>/ps1_corr2d.html` opened in the
   browser shows the graphical page (heatmaps decoded, each with alternative text), no escaped
   markup as text, the trusted scores (`engine.grade`'s) in the page and nbgrader's total with the
   manual grade.

Every click goes through Formgrader's own buttons (no API call is made by the test itself).
Nothing reaches the network: every request that is not to the local server is answered by
`page.route` (the only ones are nbconvert's MathJax from a CDN, answered with a small stand-in
that provides what Formgrader's grading page calls), and the pages log no console errors.

Needs Chromium at /usr/bin/chromium, Playwright (the `browser-tests` extra) and JupyterLab with
nbgrader's server extensions; skips otherwise. About 75 s on 2 cores (as root).
"""
import copy
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from nbgrader_course import OFF_BY_ONE_CORR2D, VENV_BIN, course_copy, grade_id, read_notebook, solutions_of

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.sandbox]

AID = "ps1_corr2d"
COURSE_ID = "cnn-humai"
STUDENTS = ("ref", "wrong", "blank")
MANUAL = ("wrong", "test_corr2d", 4.0)   # student, grade cell, manual score
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
OFF_BY_ONE = OFF_BY_ONE_CORR2D
# What Formgrader's grading page and nbconvert's templates call of MathJax 2 (Hub.Config, Queue,
# Startup.signal.Interest): answered locally in place of the CDN's script.
MATHJAX_STANDIN = """window.MathJax = {Hub: {Config: function () {}, Queue: function () {},
  Typeset: function () {}, Startup: {signal: {Interest: function (f) { setTimeout(function () { f("End"); }, 0); }}}}};
"""
SLOW_MS = 600_000   # an autograde or feedback click may take minutes on a loaded machine


def _requirements():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; make setup does)")
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[browser-tests]')")
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (pip install -e '.[nbgrader]')")
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[nbgrader]')")
    if not (VENV_BIN / "jupyter").exists() or not (VENV_BIN / "nbgrader").exists():
        pytest.skip(f"jupyter or nbgrader is not in {VENV_BIN}")


# ------------------------------------------------------------------ the server, the browser

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    _requirements()
    base = tmp_path_factory.mktemp("formgrader")
    exchange = base / "exchange"

    def configure(course):
        exchange.mkdir()
        os.chmod(exchange, 0o1777)      # as nbgrader wants its exchange: everyone writes, sticky
        cfg = course / "nbgrader_config.py"
        extra = f"\nc.Exchange.root = {str(exchange)!r}\n"
        if os.geteuid() != 0:           # this test is about the browser, not about confinement
            extra += "c.ConfinedKernelManager.require_confinement = False\n"
        cfg.write_text(cfg.read_text() + extra)

    path, env = course_copy(base, AID, configure)
    return {"path": path, "env": env, "base": base, "exchange": exchange}


@pytest.fixture(scope="module")
def server(course):
    """`jupyter lab` on a free local port with a random token, serving the course folder (its
    nbgrader_config.py is Formgrader's configuration)."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", f"--ServerApp.token={token}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={course['path']}", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = course["base"] / "jupyter.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=course["path"], env=course["env"], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not start:\n" + log_path.read_text()[-4000:])
                time.sleep(0.3)
        yield {"url": url, "token": token, "log": log_path}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)     # the server's own process group (start_new_session)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    _requirements()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, page errors and requests that would leave the machine, for every page of
    a browser context; each outside request is answered here (MathJax with a stand-in)."""

    def __init__(self, context, local: str = ""):
        self.local = local
        self.errors, self.outside = [], []
        context.route("**/*", self._route)
        context.on("page", self.watch)

    def watch(self, page):
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")) or (self.local and url.startswith(self.local + "/")):
            return route.continue_()
        self.outside.append(url)
        if "mathjax" in url.lower():
            return route.fulfill(status=200, body=MATHJAX_STANDIN, content_type="text/javascript")
        return route.fulfill(status=404, body="", content_type="text/plain")


def _dialog(page, timeout=SLOW_MS):
    """Formgrader's result dialog after a button: (its id, its text); closes it."""
    modal = page.wait_for_selector(".modal.in", timeout=timeout)
    found = modal.get_attribute("id"), modal.inner_text()
    modal.query_selector(".modal-footer button").click()
    page.wait_for_selector(".modal", state="detached")
    return found


# ------------------------------------------------------------------ the students

def _student_env(course):
    """A student's shell: the venv's nbgrader, no course configuration, not the course's PYTHONPATH."""
    env = {k: v for k, v in course["env"].items() if k not in ("PYTHONPATH", "AUTOGRADER_LANG", "AUTOGRADER_DEVICE")}
    return env


def _as_student(course, student, *args):
    home = course["base"] / "students" / student
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(VENV_BIN / "nbgrader"), *args, "--course", COURSE_ID, f"--student={student}",
                           f"--Exchange.root={course['exchange']}", f"--Exchange.cache={home / '.nbgrader-cache'}"],
                          cwd=home, env=_student_env(course), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{student}: nbgrader {' '.join(args)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return home


def _work(course, student, solutions):
    """The student fetches ps1, writes (or not) the functions, saves and submits."""
    home = _as_student(course, student, "fetch_assignment", AID)
    path = home / AID / f"{AID}.ipynb"
    nb = read_notebook(path)
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if student != "blank" and gid in solutions:
            cell["source"] = copy.deepcopy(solutions[gid])
        if student == "wrong" and gid == "sol_corr2d":
            cell["source"] = OFF_BY_ONE
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    _as_student(course, student, "submit", AID)
    return path


# ------------------------------------------------------------------ the day

@pytest.fixture(scope="module")
def day(course, server, browser):
    url, record = server["url"], {"dialogs": {}, "formgrader_scores": {}, "seconds": {}}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context, url)
    page = context.new_page()
    record["watch"] = watch
    assignment_row = f'#main-table tr:has(td.name[data-order="{AID}"])'

    # 1. log in with the token, as Jupyter's login page asks
    page.goto(f"{url}/login?next=/formgrader/manage_assignments")
    page.fill("#password_input", server["token"])
    page.click("#login_submit")
    page.wait_for_url("**/formgrader/manage_assignments")
    page.wait_for_selector(f"{assignment_row} td.assign a")
    record["exchange_warning"] = page.locator("#warning-exchange").count()
    page.click(f"{assignment_row} td.assign a")                       # Generate
    record["dialogs"]["generate"] = _dialog(page)
    page.wait_for_selector(f"{assignment_row} td.release a")
    page.click(f"{assignment_row} td.release a")                      # Release
    record["dialogs"]["release"] = _dialog(page)

    # 2. the students
    solutions = solutions_of(course["path"], AID)
    record["submitted"] = {s: _work(course, s, solutions) for s in STUDENTS}

    # 3. Collect, then Autograde each student from Manage Submissions
    page.wait_for_selector(f"{assignment_row} td.collect a")
    page.click(f"{assignment_row} td.collect a")
    record["dialogs"]["collect"] = _dialog(page)
    page.wait_for_selector(f"{assignment_row} td.num-submissions a")
    record["num_submissions"] = page.inner_text(f"{assignment_row} td.num-submissions")
    page.click(f"{assignment_row} td.num-submissions a")
    page.wait_for_url(f"**/formgrader/manage_submissions/{AID}")
    for student in STUDENTS:
        row = f'#main-table tr:has(td.student-id[data-order="{student}"])'
        page.wait_for_selector(f"{row} td.autograde a")
        started = time.monotonic()
        page.click(f"{row} td.autograde a")
        record["dialogs"][f"autograde {student}"] = _dialog(page)
        record["seconds"][f"autograde {student}"] = time.monotonic() - started
        page.wait_for_selector(f"{row} td.status .label-success, {row} td.status .label-info", timeout=SLOW_MS)
        page.wait_for_function("s => document.querySelector(s).textContent.includes('/')",
                               arg=f"{row} td.score", timeout=SLOW_MS)
        record["formgrader_scores"][student] = page.inner_text(f"{row} td.score")

    # 4. a manual grade: Manage Students → the student → the notebook → the score box
    student, cell, score = MANUAL
    page.goto(f"{url}/formgrader/manage_students")
    page.click(f'#main-table tr:has(td.id[data-order="{student}"]) td.name a')
    page.wait_for_url(f"**/formgrader/manage_students/{student}")
    page.click(f'#main-table tr:has(td.name[data-order="{AID}"]) td.name a')
    page.wait_for_url(f"**/formgrader/manage_students/{student}/{AID}")
    page.click(f'#main-table tr:has(td.name[data-order="{AID}"]) td.name a')
    page.wait_for_url("**/formgrader/submissions/*/")
    box = page.locator(f"input.score#{cell}")
    # Formgrader binds the score boxes once the page's grades and comments are loaded (and
    # selects the first box when MathJax says it is done): type only after that
    page.wait_for_function("() => window.formgrader && formgrader.loaded && formgrader.grades.loaded"
                           " && formgrader.comments.loaded && MathJax.loaded")
    record["auto_placeholder"] = box.get_attribute("placeholder")
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        box.fill(f"{score:g}")
        box.press("Tab")                          # leaving the box saves it (Formgrader's "change")
    record["manual_put_status"] = saved.value.status
    page.reload()
    page.wait_for_function("() => window.formgrader && formgrader.grades.loaded")
    record["manual_shown"] = page.locator(f"input.score#{cell}").input_value()

    # 5. Generate Feedback and Release Feedback for the assignment, students fetch it
    page.goto(f"{url}/formgrader/manage_assignments")
    page.wait_for_selector(f"{assignment_row} td.generate-feedback a")
    started = time.monotonic()
    page.click(f"{assignment_row} td.generate-feedback a")
    record["dialogs"]["generate feedback"] = _dialog(page)
    record["seconds"]["generate feedback"] = time.monotonic() - started
    page.wait_for_selector(f"{assignment_row} td.release-feedback a")
    page.click(f"{assignment_row} td.release-feedback a")
    record["dialogs"]["release feedback"] = _dialog(page)
    page.close()
    record["feedback"] = {}
    for student in STUDENTS:
        home = _as_student(course, student, "fetch_feedback", AID)
        record["feedback"][student] = sorted((home / AID / "feedback").glob(f"*/{AID}.html"))
    yield record
    context.close()


@pytest.fixture(scope="module")
def graded(day):
    """`autograder grade` of the notebooks the students submitted (engine.grade, in-process):
    {student: results.json}."""
    from autograder.grading import engine
    return {s: engine.grade(str(path), AID, lang="es", device="cpu") for s, path in day["submitted"].items()}


def _object_points(result) -> dict:
    from autograder.grading.results import as_result
    return {obj: e.score for obj, e in as_result(result, AID).object_scores().items()}


def _total():
    from autograder.grading.scoring import POINTS
    return float(sum(POINTS[AID].values()))


# ------------------------------------------------------------------ the instructor's side

def test_generate_release_collect_through_formgrader(day, course):
    for step in ("generate", "release", "collect"):
        kind, text = day["dialogs"][step]
        assert kind == "success-modal", (step, text[-3000:])
    assert day["exchange_warning"] == 0          # the exchange is configured: no warning on the page
    release = read_notebook(course["path"] / "release" / AID / f"{AID}.ipynb")
    text = str(release)
    assert "BEGIN SOLUTION" not in text and "hidden_score" not in text
    assert (course["exchange"] / COURSE_ID / "outbound" / AID / f"{AID}.ipynb").is_file()
    for student in STUDENTS:
        assert (course["path"] / "submitted" / student / AID / f"{AID}.ipynb").is_file()
    assert day["num_submissions"].strip() == str(len(STUDENTS))


@pytest.mark.parametrize("student", STUDENTS)
def test_autograde_click_gives_autograder_grade_score(day, graded, student):
    kind, text = day["dialogs"][f"autograde {student}"]
    assert kind == "success-modal", text[-4000:]
    assert f"Successfully autograded '{AID}' for student '{student}'" in text
    # the students' kernels were confined; as root, in the bwrap sandbox with a uid of its own
    confined = re.findall(r"student code confined: (\S+)", text)
    assert confined, text[-3000:]
    if os.geteuid() == 0:
        assert confined == ["bwrap-root"], confined
    score = graded[student]["score"]
    assert day["formgrader_scores"][student].replace(" ", "") == f"{score:g}/{_total():g}"


def test_expected_scores(graded):
    assert graded["ref"]["score"] == _total()
    assert graded["blank"]["score"] == 0
    assert 0 < graded["wrong"]["score"] < _total()
    assert _object_points(graded["wrong"])["corr2d"] == 0


def test_manual_grade_is_kept_in_the_gradebook(day, course, graded):
    from nbgrader.api import Gradebook
    student, cell, score = MANUAL
    obj = cell.removeprefix("test_")
    assert day["manual_put_status"] == 200
    assert float(day["auto_placeholder"]) == _object_points(graded[student])[obj]
    assert float(day["manual_shown"]) == score
    with Gradebook(f"sqlite:///{course['path'] / 'gradebook.db'}", COURSE_ID) as gb:
        sub = gb.find_submission(AID, student)
        grades = {g.name: (g.auto_score, g.manual_score, g.score) for nb in sub.notebooks for g in nb.grades}
        total = sub.score
    assert grades[cell] == (_object_points(graded[student])[obj], score, score)
    assert total == graded[student]["score"] - _object_points(graded[student])[obj] + score


def test_generate_and_release_feedback_through_formgrader(day):
    for step in ("generate feedback", "release feedback"):
        kind, text = day["dialogs"][step]
        assert kind == "success-modal", (step, text[-3000:])
    log = day["dialogs"]["generate feedback"][1]
    assert "not recognized" not in log and "Alternative text is missing" not in log, log[-3000:]
    for student in STUDENTS:
        assert len(day["feedback"][student]) == 1, (student, day["feedback"][student])


# ------------------------------------------------------------------ the student's side

@pytest.mark.parametrize("student", STUDENTS)
def test_fetched_feedback_in_the_browser(day, graded, browser, student):
    """The file `nbgrader fetch_feedback` gave the student, opened in Chromium."""
    result = graded[student]
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        watch = Watch(context)
        page = context.new_page()
        page.goto(day["feedback"][student][0].as_uri())
        page.wait_for_load_state("load")
        text = page.evaluate("document.body.innerText")
        images = page.evaluate("""() => Array.from(document.querySelectorAll('.ag-page img')).map(i => ({
            ok: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt') || ''}))""")
        all_decoded = page.evaluate("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        shown_total = page.evaluate("document.querySelector('.ag-page #total').textContent")
        objects = page.evaluate("""() => Array.from(document.querySelectorAll('.ag-page #objects tbody tr'))
            .map(r => [r.dataset.object, r.dataset.score])""")
        heading = page.evaluate("document.querySelector('.panel-heading h4').textContent")
        manual_note = page.evaluate("(document.querySelector('#manual-note') || {}).textContent || ''")
        cell_scores = page.evaluate("""() => Array.from(document.querySelectorAll('.panel-heading'))
            .map(h => h.textContent.replace(/\\s+/g, ' ').trim())""")
    finally:
        context.close()
    assert not watch.errors, watch.errors
    assert all("mathjax" in u.lower() for u in watch.outside), watch.outside
    for escaped in ("<iframe", "<img", "srcdoc", "&lt;", "data:image", "<!DOCTYPE"):
        assert escaped not in text, escaped
    assert "Tu devolución con gráficos" in text
    # the graphical page: the trusted scores, per function and in total
    assert shown_total.replace(" ", "") == f"{result['score']:g}/{_total():g}"
    assert {o: float(s) for o, s in objects} == _object_points(result)
    # nbgrader's own total: the gradebook's, with the manual grade where there is one
    manual_student, cell, score = MANUAL
    expected = result["score"]
    if student == manual_student:
        expected += score - _object_points(result)[cell.removeprefix("test_")]
    assert f"Score: {float(expected)} / {_total()}" in heading, heading
    # the graphical page shows the grader's total; where a score was changed by hand it says which counts
    if student == manual_student:
        assert f"la nota oficial es {expected:g} / {_total():g}" in manual_note, manual_note
        assert f"{result['score']:g} / {_total():g}" in manual_note, manual_note
    else:
        assert manual_note == ""
    # ... and each grade cell's, the manual score where the instructor gave one
    from autograder.grading.scoring import POINTS
    for obj, points in _object_points(result).items():
        if student == manual_student and f"test_{obj}" == cell:
            points = score
        want = f"Grade cell: test_{obj} Score: {float(points)} / {float(POINTS[AID][obj])} "
        assert any(h.startswith(want) for h in cell_scores), (want, cell_scores)
    # the heatmaps of the failing checks, decoded, each with its description
    drawable = [t for t in result["tests"] if t["status"] == "failed"
                and {"expected", "obtained"} & set((t.get("extra_data") or {}).get("tensors") or {})]
    assert len(images) == min(len(drawable), 10)
    if student == "wrong":
        assert images, "the off-by-one corr2d's heatmaps are missing"
    assert all(i["ok"] for i in images) and all_decoded, images
    assert all(len(i["alt"]) > 10 for i in images), images


def test_formgrader_pages_stay_local_and_log_no_errors(day):
    watch = day["watch"]
    assert not watch.errors, watch.errors
    # the grading page asked for MathJax's CDN (so the route was in place) and for nothing else
    assert any("mathjax" in u.lower() for u in watch.outside), watch.outside
    assert all("mathjax" in u.lower() for u in watch.outside), watch.outside
