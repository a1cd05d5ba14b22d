"""The "implement it yourself" rule as an allow-list (cursocnn/allowlist.py), on two corpora:

* tests/corpus/honest/<assignment>/: correct submissions in the styles students really write
  (numpy in and out, unfold, as_strided, einsum, classes and callable classes, `__main__` blocks,
  helpers with local imports, decorators, the student's own `im2col`/`max_pool2d`, CRLF and
  accents): full marks on every object;
* tests/corpus/cheats/allowlist/: routes around the rule (strings turned into objects by the
  standard library, code run from strings, load-time calls, kernels captured in containers,
  numpy/scipy correlation, private torch, alias cycles and fan-outs): 0 on the object each fakes,
  full marks on the rest (objects named in `zero:` excepted: code that runs at load taints them).

Static checks here are fast; the graded checks read the corpus graded once per session by the
real CLI (`corpus_results`, one `autograder grade` call per assignment mixing both corpora).
"""
import re

import corpus_scores
import pytest

from autograder.grading import scoring
from autograder.intake.submission import load_submission
from autograder.text.feedback import misconception_text
from cursocnn import implementation_check as rule

CORPUS = corpus_scores.CORPUS
HONEST = sorted((CORPUS / "honest").rglob("*.py"))
CHEATS = sorted((CORPUS / "cheats" / "allowlist").glob("*.py"))


def _fields(path):
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    return dict(re.findall(r"^(\w+): (.+)$", doc, re.M))


def _analysis(path):
    sub = load_submission(str(path))
    assert sub.fatal is None, sub.fatal
    return rule.Analysis(sub.cells)


def _guarded_defined(analysis):
    return [n for n in rule.GUARDED if n in analysis.bound]


def test_corpora_are_large_enough():
    assert len(HONEST) >= 40 and len(CHEATS) >= 25
    assert {p.parent.name for p in HONEST} == {"ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"}
    assert {_fields(p)["target"] for p in CHEATS} == set(rule.GUARDED)  # every guarded object


# --------------------------------------------------------------------------- static verdicts

@pytest.mark.parametrize("path", HONEST, ids=[f"{p.parent.name}-{p.stem}" for p in HONEST])
def test_honest_code_is_clean(path):
    analysis = _analysis(path)
    names = _guarded_defined(analysis)
    assert names, path
    for name in names:
        verdict = analysis.verdict(name)
        assert verdict.ok, (name, verdict.findings)


@pytest.mark.parametrize("path", CHEATS, ids=[p.stem for p in CHEATS])
@pytest.mark.slow
def test_cheat_is_found_statically(path):
    f = _fields(path)
    analysis = _analysis(path)
    verdict = analysis.verdict(f["target"])
    assert verdict.kind == f["expect"], verdict.findings
    assert any(f["construct"] in x.construct for x in verdict.findings), verdict.findings
    if f.get("loadtime") == "yes":
        assert any(x.at_load for x in verdict.findings) or verdict.kind == "forbidden", verdict.findings
    bounded, _seconds = rule.analyse_bounded(load_submission(str(path)).cells)
    assert bounded.failure is None
    assert bounded.verdict(f["target"]).findings == verdict.findings  # the child says the same


# --------------------------------------------------------------------------- graded

def _by_object(result):
    out = {}
    for t in result["tests"]:
        out.setdefault(t["extra_data"]["object"], []).append(t)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path", HONEST, ids=[f"{p.parent.name}-{p.stem}" for p in HONEST])
@pytest.mark.sandbox
def test_honest_code_gets_full_marks(path, corpus_results):
    result = corpus_results[f"{path.parent.name}:{corpus_scores.key(path)}"]
    failing = [f"{t['name']}: {t['output']}" for t in result["tests"] if t["score"] != t["max_score"]]
    assert result["score"] == result["max_score"] and not failing, "\n".join(failing)[:3000]
    assert not result["extra_data"].get("review")


@pytest.mark.slow
@pytest.mark.parametrize("path", CHEATS, ids=[p.stem for p in CHEATS])
@pytest.mark.sandbox
def test_cheat_gets_zero_on_what_it_fakes(path, corpus_results):
    f = _fields(path)
    assignment = f["assignment"]
    result = corpus_results[f"{assignment}:{corpus_scores.key(path)}"]
    assert result["extra_data"]["grader_error"] is False, result
    zero = {f["target"], *f.get("zero", "").split()}
    by_object = _by_object(result)
    assert set(by_object) == set(scoring.POINTS[assignment])
    for obj, tests in by_object.items():
        score = sum(t["score"] for t in tests)
        if obj in zero:
            assert score == 0, (obj, [t["output"] for t in tests])
            assert all(t["extra_data"].get("review") for t in tests), tests
        else:
            assert score == scoring.POINTS[assignment][obj], (obj, [t["output"] for t in tests])
    text = misconception_text(f["expect"], "es")
    assert all(text in t["output"] for t in by_object[f["target"]])


@pytest.mark.slow
@pytest.mark.sandbox
def test_each_batch_call_finishes_within_its_budgets(corpus_results):
    """Every `autograder grade` call of the corpus (one per assignment, mixing honest files,
    cheats, an alias cycle and an alias fan-out) exits 0 within the sum of its submissions'
    budgets: no hostile file stops the batch or costs another student anything."""
    calls = corpus_results.calls
    assert {c["assignment"] for c in calls} >= {"ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"}
    for call in calls:
        assert call["returncode"] == 0, call
        assert call["seconds"] < call["files"] * float(corpus_scores.BUDGET), call
    ps1 = next(c for c in calls if c["assignment"] == "ps1_corr2d")
    assert {"ps1_alias_cycle.py", "ps1_alias_fanout.py"} <= set(ps1["names"])
