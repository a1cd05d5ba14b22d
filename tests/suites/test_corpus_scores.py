"""The corpus (tests/corpus), graded once per session by the real CLI (the `corpus_results` fixture):

* every file keeps the scores it had when tests/corpus_scores.json was recorded (per test: graded
  object, score, max score, recognised misconception; plus the total). A refactor of the grader
  must leave them all unchanged; a deliberate change of a verdict re-records the baseline
  (`python tests/corpus_scores.py --record`) in the same commit, with the reason;
* each mutant (mutants/<assignment>/: a realistic mistake in one graded object, named in its
  docstring's `target:` with the `misconception:` its feedback must name) loses points on that
  object only, and every failing test says why in words, not in test code;
* correct code gets full marks: our alternatives (alternatives/) and code nobody on the team wrote
  (thirdparty/: the course notebook's style and Dive into Deep Learning's: lazy layers, .item() on
  tensors, an accuracy that returns a 0-d tensor, init via net.apply, loops, torch.stack,
  reshape + matmul, Tensor.unfold, F.pad), LeNets trained by the grader included.
"""
import ast
import json
from pathlib import Path

import corpus_scores
import pytest

from autograder.grading import scoring
from autograder.text.feedback import MISCONCEPTIONS, misconception_text

# graded by the real CLI (the `corpus_results` fixture, shared with tests/suites/test_allowlist_corpus.py)
pytestmark = pytest.mark.sandbox

CORPUS = corpus_scores.CORPUS


def _files(pattern):
    return [pytest.param(f, id=f.relative_to(CORPUS).as_posix()) for f in sorted(CORPUS.glob(pattern))]


def _result(corpus_results, path: Path) -> dict:
    key = f"{path.parent.name}:{corpus_scores.key(path)}"
    assert key in corpus_results, f"{key} was not graded"
    return corpus_results[key]


def _object(test) -> str:
    return test["extra_data"]["object"]


def _failures(res) -> str:
    return "\n".join(f"{t['name']}: {t['output']}" for t in res["tests"] if t["status"] != "passed")


def _header(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return dict((k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in doc.splitlines() if ":" in line))


@pytest.mark.slow
def test_every_corpus_file_keeps_its_scores(corpus_results):
    baseline = json.loads(corpus_scores.BASELINE.read_text())
    graded = {k: corpus_scores.reduce(r) for k, r in corpus_results.items()}
    changed = {k: {"before": baseline.get(k), "now": graded.get(k)}
               for k in sorted(set(baseline) | set(graded)) if baseline.get(k) != graded.get(k)}
    assert not changed, json.dumps(changed, indent=1, ensure_ascii=False)[:6000]
    assert len(graded) >= 100  # the whole corpus was graded, not a subset


@pytest.mark.slow
@pytest.mark.parametrize("path", _files("mutants/*/*.py"))
def test_mutant_loses_points_on_its_object_only(path, corpus_results):
    fields = _header(path)
    target, key = fields["target"], fields.get("misconception", "none")
    assert target in scoring.POINTS[path.parent.name], fields
    res = _result(corpus_results, path)
    lost = {_object(t) for t in res["tests"] if t["score"] < t["max_score"]}
    assert lost == {target}, _failures(res)
    failing = [t for t in res["tests"] if t["status"] != "passed"]
    if key != "none":
        assert key in MISCONCEPTIONS
        text = misconception_text(key, "es")
        assert any(text in t["output"] for t in failing if _object(t) == target), _failures(res)
    for t in failing:
        assert t["output"], f"a failure without a message: {t}"
        assert "def test_" not in t["output"] and "assert " not in t["output"], t["output"]


@pytest.mark.slow
@pytest.mark.parametrize("path", _files("alternatives/*/*.py") + _files("thirdparty/*/*.py"))
def test_correct_code_gets_full_marks(path, corpus_results):
    res = _result(corpus_results, path)
    assert not res["extra_data"]["grader_error"]
    assert res["tests"] and all(t["status"] == "passed" for t in res["tests"]), _failures(res)
    assert res["score"] == res["max_score"] == scoring.max_score(path.parent.name), _failures(res)
