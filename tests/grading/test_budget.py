"""The per-submission time budget (autograder/grading/budget.py): loads, reloads and calls of the
student's code share it; each call gets min(its timeout, what is left); once it is spent the
remaining tests fail at once with "tiempo agotado" and the grader moves on."""
import time
import warnings
from pathlib import Path

import pytest

from autograder.grading import engine
from autograder.grading.budget import StudentBudget, default_seconds
from autograder.grading.scoring import ASSIGNMENTS
from autograder.intake.submission import load_submission
from autograder.sandbox import Session, StudentCrash

ROOT = Path(__file__).resolve().parents[2]
STALL = ROOT / "tests" / "corpus" / "cheats" / "stall.py"


def test_every_assignment_has_a_default_budget():
    for a in ASSIGNMENTS:
        assert default_seconds(a) >= 60
    with pytest.raises(ValueError):
        StudentBudget(0)


@pytest.mark.sandbox
def test_a_session_stops_at_its_budget_and_starts_nothing_after():
    sub = load_submission(STALL)
    budget = StudentBudget(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s = Session(sub.cells, "ps1_corr2d", budget=budget, load_timeout=120)
    with s:
        assert 7 <= budget.used < 9.5  # the load: four statements of 1.8 s (the budget is 10 s)
        started = time.monotonic()
        with pytest.raises(StudentCrash) as err:
            s.call("call_student", "corr2d", (1, 2), {}, timeout=60)
        assert err.value.reason == "budget"
        assert time.monotonic() - started < 10  # cut at what was left (< 3 s), not at the call's 60 s
        assert budget.exhausted and s.proc is None
        started = time.monotonic()
        with pytest.raises(StudentCrash) as err:
            s.call("call_student", "corr2d", (1, 2), {}, timeout=60)
        assert err.value.reason == "budget" and time.monotonic() - started < 0.5
        assert s.proc is None  # no reload for a spent budget


@pytest.mark.parametrize("lang, words", [("es", "tiempo agotado"), ("en", "time is up")])
@pytest.mark.sandbox
def test_a_submission_that_stalls_everywhere_finishes_within_its_budget(lang, words):
    budget = 10  # its load alone (four statements of 1.8 s) spends most of it
    started = time.monotonic()
    res = engine.grade(STALL, "ps1_corr2d", lang=lang, budget=budget)
    took = time.monotonic() - started
    # budget + the grader's own time (suite collection, the zygote's torch import, loading);
    # without the budget the same submission held the grader ~18 min
    assert took < budget + 45, f"{took:.0f} s"
    assert res["score"] == 0 and not res["extra_data"]["grader_error"]
    assert budget <= res["extra_data"]["student_seconds"] < budget + 5  # + killing the worker
    out_of_time = [t for t in res["tests"] if words in t["output"].lower()]
    assert len(out_of_time) >= len(res["tests"]) - 1 >= 5
