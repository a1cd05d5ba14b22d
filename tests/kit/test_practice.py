"""The ungraded practice of the unit (assignments/cursocnn/practice.py): the shape questions of
ps2 accept exactly the answers the output-size formula allows (worked out here with the
reference's conv_output_shape, not with the layers the checker uses), reject the rest without
raising, and the kernel check of ps1 tells a learned kernel from a diverged or distant one; the
Laplacian/Gaussian exercise is solvable with the reference learn_kernel, and the defaults
diverge as the notebook says."""
import torch

from cursocnn.practice import SHAPE_QUESTIONS, check_kernel, check_shape_answer, check_shape_answers
from reference.ps1_corr2d import corr2d, learn_kernel
from reference.ps2_conv2d import conv_output_shape

# letter -> answer -> output shape, by the formula floor((n + 2p - k) / s) + 1
BY_FORMULA = {
    "a": lambda r: conv_output_shape(15, 5, 0, r),
    "b": lambda r: conv_output_shape(7, 3, 0, r),
    "c": lambda r: conv_output_shape(r, 7, 0, 1) if r >= 7 else None,
    "d": lambda r: conv_output_shape(r, 2, 0, 2) if r >= 2 else None,
    "e": lambda r: conv_output_shape(16, 2, 0, r),
}
WANTED = {"a": (3, 3), "b": (3, 3), "c": (100, 100), "d": (16, 16), "e": (4, 4)}

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
GAUSSIAN = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16


def test_shape_checker_accepts_exactly_the_formula_answers(capsys):
    assert set(SHAPE_QUESTIONS) == set(BY_FORMULA)
    for letter, formula in BY_FORMULA.items():
        accepted = {r for r in range(1, 160) if check_shape_answer(letter, r)}
        expected = {r for r in range(1, 160) if formula(r) == WANTED[letter]}
        assert expected, letter
        assert accepted == expected, letter
    out = capsys.readouterr().out
    assert "¡correcto!" in out and "revisa la fórmula" in out


def test_shape_checker_reports_without_raising(capsys):
    verdicts = check_shape_answers(a=None, b="tres", c=2.5, d=-4, e=True)
    assert verdicts == {"a": None, "b": False, "c": False, "d": False, "e": False}
    verdicts = check_shape_answers(c=3)           # a 3x3 input does not even fit a 7x7 kernel
    assert verdicts["c"] is False and verdicts["a"] is None
    out = capsys.readouterr().out
    assert "falta tu respuesta" in out and "número entero positivo" in out and "ni siquiera cabe" in out
    # a float that is a whole number counts as that number
    assert check_shape_answer("e", 4.0) is True


def test_wrong_answer_says_what_it_gives_not_the_answer(capsys):
    assert check_shape_answer("b", 3) is False
    out = capsys.readouterr().out
    assert "2×2" in out and "3×3" in out      # what a stride of 3 gives, against what is asked
    assert " 2:" not in out and "paso 2" not in out


def test_unknown_question_is_an_error():
    try:
        check_shape_answers(f=1)
    except ValueError as exc:
        assert "f" in str(exc)
    else:
        raise AssertionError("an unknown question letter must be reported")


def test_check_kernel_verdicts(capsys):
    assert check_kernel(LAPLACIAN + 0.004, LAPLACIAN, "laplaciano") is True
    assert check_kernel(LAPLACIAN + 0.3, LAPLACIAN, "laplaciano") is False
    assert check_kernel(torch.full((3, 3), float("nan")), LAPLACIAN) is False
    assert check_kernel(torch.full((3, 3), float("inf")), LAPLACIAN) is False
    assert check_kernel(torch.zeros(2, 2), LAPLACIAN) is False
    out = capsys.readouterr().out
    assert "¡aprendido!" in out and "divergió" in out and "forma (2, 2)" in out
    assert check_kernel(LAPLACIAN * 1e6, LAPLACIAN) is False
    assert "diverge" in capsys.readouterr().out


def test_laplacian_and_gaussian_exercise_is_solvable_and_defaults_diverge(capsys):
    torch.manual_seed(0)
    X = torch.rand(64, 64)
    for target in (LAPLACIAN, GAUSSIAN):
        Y = corr2d(X, target)
        torch.manual_seed(1)
        assert not check_kernel(learn_kernel(X, Y, (3, 3)), target)        # lr = 3e-2 diverges
        torch.manual_seed(1)
        assert check_kernel(learn_kernel(X, Y, (3, 3), lr=1e-4, num_iters=200), target)
