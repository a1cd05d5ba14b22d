"""Hidden suite of ps5_lenet, training part: the grader trains the student's lenet() (2 points)
and lenet_modern() (3 points) with its own recipe and compares the test accuracy with the bar
(autograder/training_check.py). The worker only describes the model; training is trusted code.
Each model is trained at most once per session (cached), whatever tests ask for it."""
import pytest

from autograder import training_check
from autograder.feedback import fail

pytestmark = pytest.mark.assignment("ps5_lenet")

_CACHE = {}


def _result(student, name, device):
    key = (id(student), name, device)
    if key not in _CACHE:
        description = student.probe(name, "describe_model", name, timeout=60)
        _CACHE[key] = training_check.check_description(name, description, device=device)
    return _CACHE[key]


def _page_data(result):
    """The training curve against the bar, for the report pages (engine.PAGE_DATA)."""
    history = result.history or {}
    return {"training": {"model": result.name, "accuracy": result.accuracy,
                         "threshold": result.threshold, "recipe": result.recipe,
                         "test_acc": [a for a in history.get("test_acc") or [] if a is not None]}}


def _check(student, lang, device, name, record_property=None):
    if str(device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip("--device cuda was asked for but CUDA is not available")
    result = _result(student, name, device)
    if record_property is not None and result.accuracy is not None:
        record_property("page_data", _page_data(result))
    if not result.ok:
        fail(lang, result.message_es, result.message_en)


@pytest.mark.points(2)
@pytest.mark.title(es="lenet: entrenada por el corrector, alcanza la exactitud mínima en prueba",
                   en="lenet: trained by the grader, reaches the minimum test accuracy")
def test_lenet_training(student, lang, device, record_property):
    _check(student, lang, device, "lenet", record_property)


@pytest.mark.points(3)
@pytest.mark.title(es="lenet_modern: entrenada por el corrector, alcanza la exactitud mínima en prueba",
                   en="lenet_modern: trained by the grader, reaches the minimum test accuracy")
def test_lenet_modern_training(student, lang, device, record_property):
    _check(student, lang, device, "lenet_modern", record_property)
