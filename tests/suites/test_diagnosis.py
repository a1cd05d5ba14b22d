"""autograder.suites.diagnosis: a probe made to explain a failure never causes one. Probes run
only after the real check failed without a recognised misconception; their own errors are
swallowed; the first key found is added to the student's message."""
import pytest

from autograder.sandbox import StudentCrash, StudentError
from autograder.suites import diagnosis
from autograder.text.feedback import Feedback, Say, misconception_text


def _probe(calls, result):
    def probe():
        calls.append(result)
        if isinstance(result, BaseException):
            raise result
        return result
    return probe


def test_probes_do_not_run_when_the_check_passes():
    calls = []
    with diagnosis(Say("es"), _probe(calls, "lr_ignored")):
        pass
    assert calls == []


def test_probes_do_not_run_when_the_failure_already_names_a_misconception():
    calls = []
    with pytest.raises(Feedback) as info:
        with diagnosis(Say("es"), _probe(calls, "lr_ignored")):
            Say("es").wrong("{call} devolvió {got}", "mean_loss", call="f(x)", got=1)
    assert calls == [] and info.value.misconception == "mean_loss"


@pytest.mark.parametrize("error", [StudentError("RuntimeError", "boom"), StudentCrash("timeout"),
                                   Feedback("otro fallo"), ZeroDivisionError()])
def test_a_failing_probe_is_swallowed_and_the_next_one_tried(error):
    calls = []
    with pytest.raises(Feedback) as info:
        with diagnosis(Say("es"), _probe(calls, error), _probe(calls, None),
                       _probe(calls, "lr_ignored"), _probe(calls, "iters_ignored")):
            Say("es").wrong("{call} devolvió {got}: se esperaban números finitos.", call="f(x)",
                            got="nan")
    assert len(calls) == 3  # stops at the first key
    assert info.value.misconception == "lr_ignored"
    assert info.value.message.startswith("f(x) devolvió nan: se esperaban números finitos.\n")
    assert misconception_text("lr_ignored", "es") in info.value.message


def test_without_a_key_the_original_failure_stands():
    with pytest.raises(Feedback) as info:
        with diagnosis(Say("en"), lambda: None):
            Say("en").wrong("{call} devolvió {got}: se esperaban números finitos.", call="f(x)",
                            got="nan")
    assert info.value.message == "f(x) returned nan: expected finite numbers."
    assert info.value.misconception is None


def test_other_exceptions_of_the_check_pass_through_untouched():
    calls = []
    with pytest.raises(StudentError):
        with diagnosis(Say("es"), _probe(calls, "lr_ignored")):
            raise StudentError("ValueError", "x")
    assert calls == []
