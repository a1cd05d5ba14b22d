"""Correct code nobody on the team wrote gets full marks: tests/corpus/thirdparty/<assignment>/
holds submissions in the course notebook's style and in Dive into Deep Learning's style (lazy
layers, .item() on tensors, an accuracy that returns a 0-d tensor, init via net.apply, loops,
torch.stack, reshape + matmul, Tensor.unfold, F.pad), graded through autograder.engine.grade.

ps5: one file goes through the whole grade, training included (slow: two LeNets on the CPU
recipe); the others through every ps5 suite file but the training one.
"""
from pathlib import Path

import pytest

from autograder import engine, results, scoring

CORPUS = Path(__file__).resolve().parent / "corpus" / "thirdparty"
TRAINED = CORPUS / "ps5_lenet" / "course_style.py"


def _files(pattern):
    return [pytest.param(f, id=f"{f.parent.name}/{f.stem}") for f in sorted(CORPUS.glob(pattern))
            if f != TRAINED]


def _failures(res):
    return "\n".join(f"{t['name']}: {t['output']}" for t in res["tests"] if t["status"] != "passed")


@pytest.mark.parametrize("path", _files("ps[1-4]_*/*.py"))
def test_thirdparty_submission_gets_full_marks(path):
    res = engine.grade(path, path.parent.name)
    assert results.validate(res) == [] and not res["extra_data"]["grader_error"]
    assert res["score"] == res["max_score"] == scoring.max_score(path.parent.name), _failures(res)


_ORIGINAL_SUITE_FILES = engine.suite_files


def _without_training(assignment):
    """Every suite file of the assignment but the LeNet training one."""
    return [f for f in _ORIGINAL_SUITE_FILES(assignment) if not f.endswith("_training.py")]


@pytest.mark.parametrize("path", _files("ps5_lenet/*.py"))
def test_thirdparty_lenet_gets_every_structural_point(path, monkeypatch):
    monkeypatch.setattr(engine, "suite_files", _without_training)
    res = engine.grade(path, "ps5_lenet")
    assert results.validate(res) == [] and not res["extra_data"]["grader_error"]
    assert res["tests"] and all(t["status"] == "passed" for t in res["tests"]), _failures(res)


@pytest.mark.slow
def test_course_style_lenet_gets_full_marks_with_training():
    res = engine.grade(TRAINED, "ps5_lenet", device="cpu")
    assert results.validate(res) == [] and not res["extra_data"]["grader_error"]
    assert res["score"] == res["max_score"] == scoring.max_score("ps5_lenet"), _failures(res)
