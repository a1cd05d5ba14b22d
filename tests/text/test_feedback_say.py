"""The hidden suites' authoring API: one `graded` marker per test (object, points, title), the
`say` voice (feedback in the session's language, from the catalogue), `Call` (a call's inputs
named once) and the misconception tables beside each suite."""
import pytest
import torch

from autograder.grading import scoring
from autograder.mutation import trusted_run
from autograder.suites import Call, graded, graded_test
from autograder.text import i18n
from autograder.text.feedback import MISCONCEPTIONS, SHARED_MISCONCEPTIONS, Feedback, Say, explain
from autograder.text.i18n import N_


@graded("corr2d", points=2, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
def _declared():
    pass


def test_graded_declares_object_points_and_a_translated_title():
    declared = graded_test(_declared)
    assert (declared.object, declared.points) == ("corr2d", 2)
    assert declared.name("es") == "corr2d: ejemplo del curso (X 3x3, K 2x2)"
    assert declared.name("en") == "corr2d: the course's example (X 3x3, K 2x2)"
    assert declared.titles() == {"title_es": declared.name("es"), "title_en": declared.name("en")}


def test_graded_rejects_a_declaration_without_points_or_title():
    for kwargs in ({"points": 0, "title": "x"}, {"points": 2, "title": ""}, {"points": "2", "title": "x"}):
        with pytest.raises(TypeError):
            graded("corr2d", **kwargs)


def test_a_test_is_declared_by_its_graded_mark_alone():
    assert [mark.name for mark in _declared.pytestmark] == ["graded"]
    assert graded_test(test_a_test_is_declared_by_its_graded_mark_alone) is None


def test_every_suite_test_declares_a_known_object_once():
    for assignment in ("ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"):
        tests = trusted_run.suite_tests(assignment)
        assert tests
        totals = {}
        for name, obj, points, fn in tests:
            declared = graded_test(fn)
            assert declared.object == obj and declared.points == points, name
            assert not declared.title.startswith(obj), name   # the title no longer repeats it
            totals[obj] = totals.get(obj, 0) + points
        assert totals == scoring.POINTS[assignment]


def test_say_speaks_the_session_language_and_explains_the_misconception():
    for lang, start, cause in (("es", "corr2d(X, K) devolvió nan: se esperaban", "Posible causa: "),
                               ("en", "corr2d(X, K) returned nan: expected", "Likely cause: ")):
        say = Say(lang)
        with pytest.raises(Feedback) as info:
            say.wrong("{call} devolvió {got}: se esperaban números finitos.", "transposed",
                      call="corr2d(X, K)", got="nan")
        assert info.value.message.startswith(start)
        assert info.value.message.endswith("\n" + explain(lang, "transposed"))
        assert cause in info.value.message and info.value.misconception == "transposed"


def test_call_names_its_inputs_once():
    X = torch.ones(2, 3)
    call = Call("pool2d", {"X": X, "pool_size": (2, 2)}, mode="max")
    assert call.text == str(call) == "pool2d(X, (2, 2), mode='max')"
    assert call.values[0] is X and call.values[1] == (2, 2) and call.kwargs == {"mode": "max"}
    assert list(call.inputs) == ["X", "pool_size", "mode"]


def test_check_tensor_names_the_call_and_describes_its_inputs():
    X, K = torch.arange(4.0).reshape(2, 2), torch.ones(1, 1)
    call = Call("corr2d", {"X": X, "K": K})
    expected = X.double()
    Say("es").check_tensor(call, X.clone(), expected)                      # passes
    with pytest.raises(Feedback) as info:
        Say("en").check_tensor(call, X.T.contiguous(), expected, inputs={"K0": K},
                               alternatives=[("transposed", expected.T)])
    message = info.value.message
    assert message.startswith("corr2d(X, K) did not return the expected values.\nInput: X (2, 2)")
    assert "K0 (1, 1)" in message and info.value.misconception == "transposed"
    assert set(info.value.data["tensors"]["inputs"]) == {"X", "K", "K0"}


def test_misconceptions_live_beside_their_suite_and_are_found_everywhere():
    from autograder.suites.ps1_corr2d import hints as hints_ps1_corr2d
    from autograder.suites.ps4_pooling import hints as hints_ps4_pooling

    assert "flipped_one_axis" in hints_ps1_corr2d.MISCONCEPTIONS
    assert "flipped_one_axis" not in SHARED_MISCONCEPTIONS
    assert "avg_as_sum" in hints_ps4_pooling.MISCONCEPTIONS
    assert {"stub", "forbidden", "tampered", "transposed"} <= set(SHARED_MISCONCEPTIONS)
    for key in ("stub", "flipped_one_axis", "avg_as_sum", "softmax_in_model"):
        assert key in MISCONCEPTIONS and explain("en", key).startswith("Likely cause: ")
    untranslated = [k for k in MISCONCEPTIONS if i18n.tr("en", MISCONCEPTIONS[k]) == MISCONCEPTIONS[k]]
    assert untranslated == []
