"""The hidden suites run in-process against the reference solutions: each gets full marks, and the
feedback of a failure comes in the requested language. (What every corpus file scores through
the real CLI, mutants and alternatives included, is checked by tests/suites/test_corpus_scores.py.)

Only the structural suites are run here (test_<assignment>.py), not the LeNet training check.
"""
import contextlib
import io
import os
from pathlib import Path

import pytest

from autograder.grading import scoring
from autograder.text.feedback import misconception_text

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "autograder" / "suites"
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REFERENCE = ROOT / "reference"


class Collector:
    def __init__(self):
        self.results = {}  # nodeid -> dict(outcome, points, object, feedback, ...)

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        if "points" not in props:
            return
        if report.when == "call" or report.outcome != "passed":
            entry = dict(props, outcome=report.outcome, when=report.when)
            self.results.setdefault(report.nodeid, entry)


def run_suite(submission, assignment, lang="es"):
    """Run suites/<assignment>/test_<assignment>.py on a submission in-process; {object: [test results]}."""
    collector = Collector()
    args = [str(SUITES / assignment / f"test_{assignment}.py"), "-p", "autograder.suites.plugin",
            "--submission", str(submission), "--assignment", assignment, "--lang", lang,
            "-q", "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", str(SUITES)]
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = pytest.main(args, plugins=[collector])
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    assert int(code) in (0, 1), buf.getvalue()[-3000:]
    by_object = {}
    for entry in collector.results.values():
        by_object.setdefault(entry["object"], []).append(entry)
    return by_object


def score(entries):
    return sum(e["points"] for e in entries if e["outcome"] == "passed")


def describe_failures(by_object):
    return "\n".join(f"[{obj}] {e.get('title_es')}: {e.get('feedback', e['outcome'])}"
                     for obj, entries in by_object.items() for e in entries
                     if e["outcome"] != "passed")


@pytest.mark.parametrize("assignment", scoring.ASSIGNMENTS)
@pytest.mark.sandbox
def test_reference_gets_full_marks(assignment):
    by_object = run_suite(REFERENCE / f"{assignment}.py", assignment)
    assert set(by_object) == set(scoring.POINTS[assignment])
    for obj, entries in by_object.items():
        assert score(entries) == sum(e["points"] for e in entries), describe_failures(by_object)


@pytest.mark.sandbox
def test_english_feedback():
    path = CORPUS / "mutants" / "ps1_corr2d" / "corr2d_flipped.py"
    by_object = run_suite(path, "ps1_corr2d", lang="en")
    messages = [e["feedback"] for e in by_object["corr2d"] if e["outcome"] != "passed"]
    assert messages and all(misconception_text("flipped_kernel", "en") in m for m in messages)
    assert all("Posible causa" not in m for m in messages)
