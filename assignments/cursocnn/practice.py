"""Ejercicios de práctica sin nota: comprobaciones que dicen si una respuesta es correcta sin
mostrar la respuesta.

- ``check_shape_answers(a=..., b=..., ...)``: las preguntas de formas de la tarea 2. Cada
  respuesta se prueba con una capa de PyTorch (``nn.Conv2d`` o ``nn.MaxPool2d``) sobre una
  entrada de ceros: si la capa da la forma pedida, la respuesta es correcta. Así también valen
  otras respuestas correctas que no imaginamos.
- ``check_kernel(aprendido, objetivo, nombre)``: ¿el kernel que aprendiste se parece al que
  generó los datos? (tarea 1, laplaciano y gaussiano).

(Developer note: the checkers compute, they hold no answer key; they print one line per answer
and return the verdicts, never raise on a wrong or malformed answer.)
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["SHAPE_QUESTIONS", "check_shape_answer", "check_shape_answers", "check_kernel"]

OK, FAIL, PENDING = "✔", "✘", "·"


def _output_side(layer, side):
    with torch.no_grad():
        return tuple(layer(torch.zeros(1, 1, side, side)).shape[2:])


# letter -> (question, what is asked for, answer -> (layer, input side), wanted output)
SHAPE_QUESTIONS = {
    "a": ("imagen de 15×15, kernel de 5×5, sin relleno: ¿qué paso da una salida de 3×3?",
          "paso", lambda r: (nn.Conv2d(1, 1, 5, stride=r), 15), (3, 3)),
    "b": ("imagen de 7×7, kernel de 3×3, sin relleno: ¿qué paso da una salida de 3×3?",
          "paso", lambda r: (nn.Conv2d(1, 1, 3, stride=r), 7), (3, 3)),
    "c": ("kernel de 7×7, sin relleno, paso 1: ¿qué lado de entrada da una salida de 100×100?",
          "lado", lambda r: (nn.Conv2d(1, 1, 7), r), (100, 100)),
    "d": ("pooling de 2×2 con paso 2: ¿qué lado de entrada da un mapa de 16×16?",
          "lado", lambda r: (nn.MaxPool2d(2, stride=2), r), (16, 16)),
    "e": ("pooling de 2×2 sobre un mapa de 16×16: ¿qué paso da una salida de 4×4?",
          "paso", lambda r: (nn.MaxPool2d(2, stride=r), 16), (4, 4)),
}


def _as_positive_int(answer):
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    if not value.is_integer() or value < 1 or value > 10_000:
        return None
    return int(value)


def check_shape_answer(letter: str, answer) -> bool | None:
    """Checks one answer and prints a line: True (correct), False (wrong), None (no answer)."""
    question, asked, build, wanted = SHAPE_QUESTIONS[letter]
    if answer is None:
        print(f"{PENDING} {letter}. falta tu respuesta ({question})")
        return None
    value = _as_positive_int(answer)
    if value is None:
        print(f"{FAIL} {letter}. {answer!r}: el {asked} tiene que ser un número entero positivo")
        return False
    layer, side = build(value)
    try:
        got = _output_side(layer, side)
    except RuntimeError:
        print(f"{FAIL} {letter}. {value}: con ese {asked} la capa ni siquiera cabe en la entrada")
        return False
    if got == wanted:
        print(f"{OK} {letter}. {value}: ¡correcto!")
        return True
    print(f"{FAIL} {letter}. {value}: con ese {asked} la salida mediría {got[0]}×{got[1]}, "
          f"no {wanted[0]}×{wanted[1]}; revisa la fórmula")
    return False


def check_shape_answers(**answers) -> dict:
    """check_shape_answers(a=..., b=..., ...): one line per question; {letter: verdict}."""
    unknown = sorted(set(answers) - set(SHAPE_QUESTIONS))
    if unknown:
        raise ValueError(f"no hay preguntas {unknown}; las preguntas son {sorted(SHAPE_QUESTIONS)}")
    return {letter: check_shape_answer(letter, answers.get(letter)) for letter in SHAPE_QUESTIONS}


def check_kernel(learned, target, name: str = "kernel", atol: float = 0.01) -> bool:
    """Is the learned kernel within atol of the target in every entry? Prints why not."""
    learned = torch.as_tensor(learned).detach().to(torch.float64).cpu()
    target = torch.as_tensor(target).to(torch.float64)
    if learned.shape != target.shape:
        print(f"{FAIL} {name}: el kernel aprendido tiene forma {tuple(learned.shape)}; "
              f"se esperaba {tuple(target.shape)}")
        return False
    if not torch.isfinite(learned).all():
        print(f"{FAIL} {name}: el kernel tiene NaN o infinitos: el descenso de gradiente "
              f"divergió (la tasa de aprendizaje es demasiado grande)")
        return False
    error = float((learned - target).abs().max())
    if error <= atol:
        print(f"{OK} {name}: ¡aprendido! (error máximo {error:.2g})")
        return True
    if error > 1e3:
        hint = ("los valores explotaron: el descenso de gradiente diverge (la tasa de aprendizaje "
                "es demasiado grande)")
    elif error >= 1:
        hint = "lejos: ¿más iteraciones, o una tasa de aprendizaje distinta?"
    else:
        hint = "cerca: ¿más iteraciones?"
    print(f"{FAIL} {name}: todavía no (error máximo {error:.3g}); {hint}")
    return False
