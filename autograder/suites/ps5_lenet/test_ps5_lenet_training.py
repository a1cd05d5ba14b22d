"""Hidden suite of ps5_lenet, training part: the grader trains the student's lenet() (2 points)
and lenet_modern() (3 points) with its own recipe and compares the test accuracy with the bar
(autograder/training/check.py). The worker only describes the model; training is trusted code.
Each model is trained at most once per session (cached), whatever tests ask for it, and at most
once per distinct architecture/recipe/seed/device/data across sessions (training/cache.py's on-disk
TrainingCache, reused by every later grading pass until `autograder grade --force`). A passing
test reports the accuracy reached and the bar in its output (user property "output_<lang>",
which the engine shows for passing tests)."""
import os

import pytest

from autograder.suites import graded
from autograder.text.feedback import Feedback
from autograder.text.i18n import N_
from autograder.training import cache as training_cache
from autograder.training import check as training_check

pytestmark = pytest.mark.assignment("ps5_lenet")

def _result(student, name, device, lang):
    # per Student object (an id() key could be reused by the next submission of a batch lane)
    memo = student.__dict__.setdefault("_training_results", {})
    key = (name, device)
    if key not in memo:
        description = student.probe(name, "describe_model", name, timeout=60)
        memo[key] = training_check.check_description(
            name, description, device=device, progress="auto",
            cache=training_cache.default_cache(), label=os.fspath(student.path), lang=lang)
    return memo[key]


def _page_data(result):
    """The training curve against the bar, for the report pages (engine.PAGE_DATA)."""
    history = result.history or {}
    return {"training": {"model": result.name, "accuracy": result.accuracy,
                         "threshold": result.threshold, "recipe": result.recipe,
                         "test_acc": [a for a in history.get("test_acc") or [] if a is not None]}}


def _check(student, say, device, name, record_property=None):
    if str(device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip("--device cuda was asked for but CUDA is not available")
    result = _result(student, name, device, say.lang)
    if record_property is not None and result.accuracy is not None:
        record_property("page_data", _page_data(result))
    if not result.ok:
        raise Feedback(result.message(say.lang))
    if record_property is not None:
        record_property(f"output_{say.lang}", result.message(say.lang))


TRAINED = N_("entrenada por el corrector, alcanza la exactitud mínima en prueba")


@graded("lenet", points=2, title=TRAINED)
def test_lenet_training(student, say, device, record_property):
    _check(student, say, device, "lenet", record_property)


@graded("lenet_modern", points=3, title=TRAINED)
def test_lenet_modern_training(student, say, device, record_property):
    _check(student, say, device, "lenet_modern", record_property)
