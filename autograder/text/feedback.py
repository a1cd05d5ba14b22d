"""Student-facing feedback: the Feedback exception, the `Say` voice of one language,
formatting helpers and misconception diagnosis.

Every message is a Spanish catalogue message (autograder/text/i18n.py) in the session's language. A
failing test raises Feedback with the student-facing text: what was expected, what came back, on
which input, and the likely misconception when one is recognised. The diagnosis compares the
student's output with alternatives computed in the trusted process (e.g. the result a flipped
kernel would give). Never put test source in a message.

    say = Say("en")                                        # the suites' `say` fixture
    say("se esperaba la forma {shape}", shape=s)           # -> translated text
    say.wrong("{call} devolvió {got}", call=c, got=g, misconception="transposed")   # raises
    say.check_tensor(call, got, expected, alternatives=[("transposed", expected.T)])
"""
from __future__ import annotations

import functools
import importlib.util
import math
import os
from collections.abc import Mapping

import torch

from autograder import locations
from autograder.text.i18n import N_, tr


class Feedback(AssertionError):
    """A failed check, carrying the student-facing message (and the misconception key, if any)."""

    def __init__(self, message: str, misconception: str | None = None):
        super().__init__(message)
        self.message = message
        self.misconception = misconception
        # trusted data for the report pages (e.g. the tensors a check saw); the engine stores
        # it in the test's extra_data, never in the student-facing message
        self.data = {}

    def __str__(self):
        return self.message


class Say:
    """Feedback in one language: the suites' `say` fixture and the plugin's `Student.say`.

    - `say(message, **fields)`: the catalogue message in this language, fields filled in.
    - `say.wrong(message, misconception=None, review=None, **fields)`: raise Feedback with it
      (plus "Posible causa: ..." when a misconception key is given; `review` flags the failure
      for an instructor, see plugin.py).
    - `say.explain(key)`, `say.check_tensor(call, got, expected, ...)`.
    Messages are plain string constants, so the catalogue can extract them (i18n.KEYWORDS).
    """

    def __init__(self, lang: str | None = "es"):
        self.lang = lang or "es"

    def __call__(self, message: str, /, **fields) -> str:
        return tr(self.lang, message, **fields)

    def wrong(self, message: str, /, misconception: str | None = None, review: dict | None = None,
              **fields):
        text = tr(self.lang, message, **fields)
        if misconception:
            text += "\n" + explain(self.lang, misconception)
        exc = Feedback(text, misconception)
        if review:
            exc.review = review
        raise exc

    def explain(self, key: str) -> str:
        return explain(self.lang, key)

    def inputs(self, inputs: dict | None) -> str:
        """"\nEntrada: X (3, 3) float32 = [...]; K ..." for a message ("" without inputs)."""
        if not inputs:
            return ""
        return "\n" + tr(self.lang, "Entrada: {inputs}", inputs=describe_inputs(inputs))

    def check_tensor(self, call, got, expected, *, inputs=None, alternatives=None, rtol=None,
                     atol=None, off_by_one=False):
        """Compare the student's output with `expected` (float64, trusted). `call` is a
        suites.Call (its text and inputs name the call in the message) or the call's text;
        `inputs` adds more named inputs to describe (e.g. {"K0 (lr=0)": K0}). A failure names
        the call, the inputs, what was expected and what came back (and the misconception of
        the first matching alternative), and carries the tensors it saw (small, capped) in
        Feedback.data["tensors"] for the report pages."""
        shown = dict(getattr(call, "inputs", None) or {}, **(inputs or {}))
        try:
            _check_tensor(self, str(call), got, expected, shown, alternatives,
                          RTOL if rtol is None else rtol, ATOL if atol is None else atol, off_by_one)
        except Feedback as exc:
            exc.data.setdefault("tensors", dict(tensor_snapshot(shown, expected, got), call=str(call)))
            raise


# ---------------------------------------------------------------------------------------------
# Misconceptions: key -> Spanish hint (a catalogue message). The keys several assignments share
# live here; each assignment's own keys live in its folder (autograder/suites/<id>/hints.py).
# tests/suites/test_suites.py checks that the feedback of a mutant contains the text of its
# misconception.

SHARED_MISCONCEPTIONS = {
    "stub": N_("la función todavía no está implementada (lanza NotImplementedError)"),
    "forbidden": N_("usaste una función de PyTorch que hace todo el trabajo; el ejercicio pide "
                    "implementar la operación a mano"),
    "unverifiable": N_("tu código usa construcciones (acceso dinámico a nombres, módulos "
                       "privados de torch, cambios a torch o al corrector) que impiden comprobar "
                       "que implementas la operación tú mismo/a; un docente revisará tu entrega"),
    "tampered": N_("el proceso que ejecuta tu código respondió algo que el corrector nunca "
                   "envía: tu código modificó el corrector o su comunicación; un docente "
                   "revisará tu entrega"),
    "transposed": N_("intercambiaste alto y ancho: tu salida es la traspuesta de la esperada"),
    "off_by_one": N_("el tamaño de la salida está desfasado en uno: con una entrada de tamaño n "
                     "y un kernel de tamaño k hay n - k + 1 posiciones (revisa los range de tus "
                     "bucles)"),
    "flipped_kernel": N_("volteaste el kernel: eso es una convolución estricta, no la "
                         "correlación cruzada que calcula corr2d"),
    "pair_swapped": N_("intercambiaste los valores de un par (alto, ancho): el primero es el "
                       "alto y el segundo el ancho"),
    "padding_ignored": N_("parece que ignoraste el padding"),
    "stride_ignored": N_("parece que ignoraste el stride (paso)"),
    "padding_one_side": N_("aplicaste el padding de un solo lado: el padding es por lado (p "
                           "filas arriba y p abajo, p columnas a cada lado)"),
    "padding_not_doubled": N_("sumaste el padding una sola vez: es por lado, así que la fórmula "
                              "lleva 2p: floor((n + 2p - k) / s) + 1"),
}


# key -> the fields of its hint, for a hints module whose messages quote numbers (FIELDS)
_HINT_FIELDS = {}


def _hint_modules():
    """Each assignment folder's hints.py (autograder/suites/<id>/hints.py), loaded by path: the
    tables are data, and reading them must not import the suites (torch, pytest)."""
    for name in sorted(os.listdir(locations.SUITES)):
        path = os.path.join(locations.SUITES, name, "hints.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location(f"_autograder_hints_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            yield name, module


@functools.lru_cache(maxsize=None)
def _all_misconceptions() -> dict:
    table = dict(SHARED_MISCONCEPTIONS)
    for name, module in _hint_modules():
        own = module.MISCONCEPTIONS
        _HINT_FIELDS.update(getattr(module, "FIELDS", {}))
        clash = set(own) & set(table)
        if clash:
            raise RuntimeError(f"{name}/hints.py: misconception keys defined twice: {sorted(clash)}")
        table.update(own)
    return table


class _Misconceptions(Mapping):
    """Every misconception key -> its Spanish hint: the shared ones and every suite's own."""

    def __getitem__(self, key):
        return _all_misconceptions()[key]

    def __iter__(self):
        return iter(_all_misconceptions())

    def __len__(self):
        return len(_all_misconceptions())


MISCONCEPTIONS = _Misconceptions()


def with_misconception(exc: Feedback, lang: str, key: str) -> Feedback:
    """The same failure, now naming the misconception `key` (found after the fact)."""
    return Feedback(exc.message + "\n" + explain(lang, key), key)


def explain(lang: str, key: str) -> str:
    return tr(lang, "Posible causa: {cause}.", cause=misconception_text(key, lang))


def misconception_text(key: str, lang: str = "es") -> str:
    message = MISCONCEPTIONS[key]               # loads every hints module, and its FIELDS
    return tr(lang, message, **_HINT_FIELDS.get(key, {}))


# ---------------------------------------------------------------------------------------------
# Formatting.


def fmt_shape(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _fmt_number(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.4g}"


def fmt_tensor(t, max_numel: int = 48) -> str:
    """A small tensor as nested lists (4 significant digits); a large one by its shape."""
    if not isinstance(t, torch.Tensor):
        return fmt_value(t)
    if t.numel() > max_numel:
        return f"<tensor {fmt_shape(t.shape)}, {str(t.dtype).replace('torch.', '')}>"
    if t.dim() == 0:
        return _fmt_number(float(t))

    def rec(x):
        if x.dim() == 1:
            return "[" + ", ".join(_fmt_number(float(v)) for v in x) + "]"
        return "[" + ", ".join(rec(r) for r in x) + "]"

    return rec(t.detach().to(torch.float64) if t.is_floating_point() or t.dtype == torch.bool
               else t.detach())


def fmt_value(v) -> str:
    if isinstance(v, torch.Tensor):
        return fmt_tensor(v)
    if isinstance(v, float):
        return _fmt_number(v)
    if isinstance(v, dict) and "__unsupported__" in v:
        return f"<{v['__unsupported__']}>"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(fmt_value(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    text = repr(v)
    return text if len(text) <= 200 else text[:200] + "..."


def describe_tensor(name: str, t, show_values: bool = True, max_numel: int = 30) -> str:
    """'X de forma (3, 4) float32 = [[...]]' (values only for small tensors)."""
    if not isinstance(t, torch.Tensor):
        return f"{name} = {fmt_value(t)}"
    text = f"{name} {fmt_shape(t.shape)} {str(t.dtype).replace('torch.', '')}"
    if show_values and t.numel() <= max_numel:
        text += f" = {fmt_tensor(t, max_numel)}"
    return text


def describe_inputs(inputs: dict, max_numel: int = 30) -> str:
    return "; ".join(describe_tensor(k, v, max_numel=max_numel) for k, v in inputs.items())


# ---------------------------------------------------------------------------------------------
# Comparison + diagnosis.

RTOL, ATOL = 1.3e-6, 1e-5  # torch.testing.assert_close defaults for float32


def close(got, expected, rtol=RTOL, atol=ATOL) -> bool:
    if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return False
    if tuple(got.shape) != tuple(expected.shape):
        return False
    if got.dtype == torch.bool or got.is_complex():
        return False
    try:
        torch.testing.assert_close(got.detach().to(torch.float64), expected.to(torch.float64),
                                   rtol=rtol, atol=atol, equal_nan=False)
        return True
    except AssertionError:
        return False


def diagnose(got, alternatives) -> str | None:
    """The key of the first alternative (key -> tensor, or a list of (key, tensor)) the
    student's output matches, or None."""
    items = alternatives.items() if isinstance(alternatives, dict) else alternatives
    for key, alt in items:
        if alt is not None and close(got, alt):
            return key
    return None


def _first_difference(got, expected):
    diff = (got.detach().to(torch.float64) - expected.to(torch.float64)).abs()
    tol = ATOL + RTOL * expected.to(torch.float64).abs()
    bad = (diff > tol) | torch.isnan(got.detach().to(torch.float64))
    idx = tuple(int(i) for i in bad.nonzero()[0]) if bad.any() else None
    finite = diff[torch.isfinite(diff)]
    return idx, (float(finite.max()) if finite.numel() else float("nan"))


def shape_misconception(got_shape, expected_shape, off_by_one=False):
    got_shape, expected_shape = tuple(got_shape), tuple(expected_shape)
    if len(got_shape) == len(expected_shape) >= 2 and got_shape != expected_shape:
        if got_shape[-2:] == expected_shape[-2:][::-1] and got_shape[:-2] == expected_shape[:-2]:
            return "transposed"
        if off_by_one and all(abs(a - b) <= 1 for a, b in zip(got_shape, expected_shape)):
            return "off_by_one"
    return None


MAX_SNAPSHOT_NUMEL = 1024


def _as_lists(t, max_numel=MAX_SNAPSHOT_NUMEL):
    """A tensor as nested lists of finite floats (None for nan/inf), or None when too big."""
    if not isinstance(t, torch.Tensor) or t.numel() > max_numel or t.is_complex() or t.numel() == 0:
        return None
    values = t.detach().cpu().to(torch.float64)

    def clean(x):
        if isinstance(x, list):
            return [clean(v) for v in x]
        return round(x, 6) if math.isfinite(x) else None

    return clean(values.tolist())


def tensor_snapshot(inputs, expected, got) -> dict:
    """{"inputs": {name: lists}, "expected": lists, "obtained": lists} for the tensors small
    enough to draw (each at most MAX_SNAPSHOT_NUMEL elements); non-tensor inputs as text."""
    snap = {"inputs": {}, "params": {}}
    for name, value in (inputs or {}).items():
        lists = _as_lists(value)
        if lists is not None:
            snap["inputs"][str(name)] = lists
        elif not isinstance(value, torch.Tensor):
            snap["params"][str(name)] = fmt_value(value)[:80]
    for key, value in (("expected", expected), ("obtained", got)):
        lists = _as_lists(value)
        if lists is not None:
            snap[key] = lists
    return snap


def _check_tensor(say, call, got, expected, inputs, alternatives, rtol, atol, off_by_one):
    where = say.inputs(inputs)
    if not isinstance(got, torch.Tensor):
        say.wrong("{call} tiene que devolver un tensor, pero devolvió {got}.{where}",
                  call=call, got=fmt_value(got), where=where)
    key = diagnose(got, alternatives or {})
    if tuple(got.shape) != tuple(expected.shape):
        say.wrong("{call} devolvió un tensor de forma {got}; se esperaba la forma {expected}.{where}",
                  key or shape_misconception(got.shape, expected.shape, off_by_one),
                  call=call, got=fmt_shape(got.shape), expected=fmt_shape(expected.shape),
                  where=where)
    if not (got.is_floating_point() or got.dtype in (torch.int64, torch.int32, torch.int16,
                                                      torch.int8, torch.uint8)):
        say.wrong("{call} devolvió un tensor de tipo {dtype}; se esperaba un tensor de punto "
                  "flotante.{where}", call=call, dtype=got.dtype, where=where)
    try:
        torch.testing.assert_close(got.detach().to(torch.float64), expected.to(torch.float64),
                                   rtol=rtol, atol=atol)
        return
    except AssertionError:
        pass
    idx, maxdiff = _first_difference(got, expected)
    dtype_note = ""
    if not got.is_floating_point():
        dtype_note = say(" (tu tensor es de enteros, {dtype}: se pierden los decimales)",
                         dtype=got.dtype)
    if expected.numel() <= 48:
        body = say("Se esperaba:\n  {expected}\nTu función devolvió:\n  {got}",
                   expected=fmt_tensor(expected), got=fmt_tensor(got))
    else:
        body = say("Primera diferencia en la posición {index}: se esperaba {expected} y tu "
                   "función devolvió {got} (diferencia máxima {difference}).", index=idx,
                   expected=_fmt_number(float(expected[idx])), got=_fmt_number(float(got[idx])),
                   difference=_fmt_number(maxdiff))
    say.wrong("{call} no devolvió los valores esperados{note}.{where}\n{body}", key, call=call,
              note=dtype_note, where=where, body=body)


def as_number(v):
    """A Python number from an int/float/0-d (or one-element) tensor, else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_complex():
        return float(v.reshape(()))
    return None
