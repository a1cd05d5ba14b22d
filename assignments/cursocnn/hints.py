"""Pistas: cuando una prueba pública falla, ¿cuál es la causa probable?

Las celdas de comprobación visibles del cuaderno (y `check()`, que las corre) terminan sus
mensajes con `posible_causa(...)`: compara lo que devolvió tu función con lo que devolverían los
errores típicos (el kernel volteado, la salida traspuesta, un tamaño desfasado en uno, el promedio
en lugar del máximo, ...) sobre la MISMA entrada de la prueba, y si alguno coincide lo nombra con
la misma frase que usa la devolución del corrector ("Posible causa: ...").

    assert torch.allclose(Y, esperado), f"se obtuvo {Y.tolist()}" + posible_causa("corr2d", Y, X=X, K=K)

`posible_causa` devuelve "" cuando no reconoce el error (o si algo sale mal al buscarlo): una
pista nunca hace fallar una prueba.

(Developer note: the alternatives mirror the ones the grader's hidden suites compute for each
object (autograder/suites/<id>/test_<id>.py) and the texts are the grader's misconception texts
(cursocnn/hint_texts.py, kept equal to autograder.text.feedback.misconception_text by
tests/kit/test_kit_hints.py). Only the visible tests' own inputs ever reach this module. torch is
imported lazily: the module imports without it.)
"""
from __future__ import annotations

import math
import sys

try:
    from .hint_texts import PREFIX, TEXTS
except ImportError:  # run as a loose file
    from hint_texts import PREFIX, TEXTS

__all__ = ["posible_causa", "pista", "diagnosticar", "texto"]

RTOL, ATOL = 1.3e-6, 1e-5       # torch.testing.assert_close's defaults for float32, as the grader


def texto(clave: str) -> str:
    """"Posible causa: ...." for a misconception key (the grader's sentence)."""
    return PREFIX.format(cause=TEXTS[clave])


def pista(clave: str | None) -> str:
    """"\\nPosible causa: ...." to append to a message ("" for None)."""
    return "\n" + texto(clave) if clave else ""


def posible_causa(nombre: str, obtenido, **entradas) -> str:
    """"\\nPosible causa: ..." when `obtenido` (what `nombre` returned on the test's inputs
    `entradas`) matches a typical mistake the grader also recognises; "" otherwise."""
    caller = sys._getframe(1).f_globals
    return pista(diagnosticar(nombre, obtenido, _namespace=caller, **entradas))


def diagnosticar(nombre: str, obtenido, _namespace=None, **entradas) -> str | None:
    """The misconception key (see hint_texts.TEXTS) or None. Never raises."""
    fn = _DIAGNOSES.get(nombre)
    if fn is None:
        return None
    try:
        return fn(obtenido, _namespace=_namespace or {}, **entradas)
    except Exception:  # noqa: BLE001 - a hint never makes a test fail
        return None


# ------------------------------------------------------------------ comparing like the grader

def _t():
    import torch
    return torch


def _f64(t):
    return t.detach().to(_t().float64)


def _close(got, want, rtol=RTOL, atol=ATOL) -> bool:
    torch = _t()
    if not isinstance(got, torch.Tensor) or not isinstance(want, torch.Tensor):
        return False
    if tuple(got.shape) != tuple(want.shape) or got.dtype == torch.bool or got.is_complex():
        return False
    return bool(torch.allclose(_f64(got), _f64(want), rtol=rtol, atol=atol))


def _first_match(got, candidates, **tol):
    """The key of the first (key, build) whose tensor equals `got`; a build that cannot be made
    for these sizes (RuntimeError) or gives None is skipped."""
    for key, build in candidates:
        try:
            alt = build() if callable(build) else build
        except RuntimeError:
            continue
        if alt is not None and _close(got, alt, **tol):
            return key
    return None


def _shape_key(got_shape, want_shape, off_by_one):
    got_shape, want_shape = tuple(got_shape), tuple(want_shape)
    if len(got_shape) != len(want_shape) or len(got_shape) < 2 or got_shape == want_shape:
        return None
    if got_shape[:-2] == want_shape[:-2] and got_shape[-2:] == want_shape[-2:][::-1]:
        return "transposed"
    if off_by_one and all(abs(a - b) <= 1 for a, b in zip(got_shape, want_shape)):
        return "off_by_one"
    return None


def _tensor_key(got, expected, candidates, off_by_one=False, **tol):
    """What the grader's tensor check would name: None when `got` is right or not a tensor."""
    torch = _t()
    if not isinstance(got, torch.Tensor):
        return None
    key = _first_match(got, candidates, **tol)
    if tuple(got.shape) != tuple(expected.shape):
        return key or _shape_key(got.shape, expected.shape, off_by_one)
    if _close(got, expected, **tol):
        return None
    return key


def _pair(v):
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(x) for x in v)


def _xcorr(X, K, padding=0, stride=1):
    """Cross-correlation in float64 with PyTorch's conv2d (X and K 2-D)."""
    F = _t().nn.functional
    return F.conv2d(_f64(X)[None, None], _f64(K)[None, None], padding=padding, stride=stride)[0, 0]


def _multi(X, K):
    """X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> (c_o, h', w')."""
    return _t().nn.functional.conv2d(_f64(X)[None], _f64(K))[0]


def _each_channel(X, K):
    """Each input channel with its own slice of K (c_i, k_h, k_w), not summed: (c_i, h', w')."""
    return _t().nn.functional.conv2d(_f64(X)[None], _f64(K)[:, None], groups=X.shape[0])[0]


# ------------------------------------------------------------------ ps1_corr2d

def _corr2d(got, X, K, **_):
    expected = _xcorr(X, K)
    candidates = [("flipped_kernel", lambda: _xcorr(X, K.flip(0, 1))),
                  ("flipped_one_axis", lambda: _xcorr(X, K.flip(0))),
                  ("flipped_one_axis", lambda: _xcorr(X, K.flip(1))),
                  ("transposed", lambda: expected.T)]
    if K.shape[0] <= X.shape[1] and K.shape[1] <= X.shape[0]:
        candidates.append(("kernel_transposed", lambda: _xcorr(X, K.T)))
    return _tensor_key(got, expected, candidates, off_by_one=True)


def _conv2d_strict(got, X, K, **_):
    expected = _xcorr(X, K.flip(0, 1))
    candidates = [("not_flipped", lambda: _xcorr(X, K)),
                  ("flipped_one_axis", lambda: _xcorr(X, K.flip(0))),
                  ("flipped_one_axis", lambda: _xcorr(X, K.flip(1))),
                  ("transposed", lambda: expected.T)]
    return _tensor_key(got, expected, candidates, off_by_one=True)


DEFAULT_LR, DEFAULT_ITERS = 3e-2, 10


def _descent(K0, X, Y, lr, steps, variant=None):
    """Manual gradient descent on the summed squared error, in float64 (or a typical mistake)."""
    torch = _t()
    K, total = _f64(K0).clone(), torch.zeros_like(_f64(K0))
    for _ in range(steps):
        k = K.clone().requires_grad_()
        sq = (_t().nn.functional.conv2d(_f64(X)[None, None], k[None, None])[0, 0] - _f64(Y)) ** 2
        (grad,) = torch.autograd.grad(sq.mean() if variant == "mean_loss" else sq.sum(), k)
        if variant == "no_zero_grad_manual":
            total = total + grad
            grad = total
        K = K + lr * grad if variant == "gradient_ascent" else K - lr * grad
    return K


def _seeded_call(fn, seed, *args, **kwargs):
    """fn(*args, **kwargs) after seeding every generator we can, as the grader does."""
    import random
    torch = _t()
    torch.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy
        numpy.random.seed(seed)
    except ImportError:
        pass
    return fn(*args, **kwargs)


def _learn_kernel(got, X, Y, kernel_size, semilla=0, lr=None, num_iters=None, _namespace=None,
                  funcion=None, **_):
    torch = _t()
    fn = funcion or (_namespace or {}).get("learn_kernel")
    if fn is None or not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(kernel_size):
        return None
    steps = DEFAULT_ITERS if num_iters is None else num_iters
    rate = DEFAULT_LR if lr is None else lr

    def start():                       # lr=0: the start kernel (None if it is not reproducible)
        one = _seeded_call(fn, semilla, X, Y, kernel_size, lr=0.0, num_iters=steps)
        two = _seeded_call(fn, semilla, X, Y, kernel_size, lr=0.0, num_iters=steps)
        return one if _close(one, two, rtol=0, atol=0) else None

    K0 = start()
    tol = {"rtol": 1e-4, "atol": 1e-5}
    if K0 is not None:
        expected = _descent(K0, X, Y, rate, steps)
        if _close(got, expected, **tol):
            return None
        candidates = [(v, lambda v=v: _descent(K0, X, Y, rate, steps, v))
                      for v in ("mean_loss", "no_zero_grad_manual", "gradient_ascent")]
        candidates += [("iters_ignored", lambda n=n: _descent(K0, X, Y, rate, n))
                       for n in (DEFAULT_ITERS, 1) if n != steps]
        if num_iters is None:         # a default left to the function: was it changed?
            candidates += [("defaults_changed", lambda n=n: _descent(K0, X, Y, rate, n))
                           for n in (1, 5, 9, 11, 20, 50, 100)]
        if lr is None:
            candidates += [("defaults_changed", lambda r=r: _descent(K0, X, Y, r, steps))
                           for r in (1e-3, 3e-3, 1e-2, 2e-2, 4e-2, 6e-2, 0.1, 0.3)]
        key = _first_match(got, candidates, **tol)
        if key:
            return key
    # with lr=0 the kernel must not move between one step and two
    one = _seeded_call(fn, semilla, X, Y, kernel_size, lr=0.0, num_iters=1)
    two = _seeded_call(fn, semilla, X, Y, kernel_size, lr=0.0, num_iters=2)
    if isinstance(one, torch.Tensor) and isinstance(two, torch.Tensor) and \
            not torch.allclose(_f64(one), _f64(two), atol=1e-6):
        return "lr_ignored"
    return None


# ------------------------------------------------------------------ ps2_conv2d

def _conv2d_layer(got, capa=None, x=None, **_):
    torch = _t()
    if isinstance(got, torch.nn.Module):           # the layer itself: its parameters
        registered = dict(got.named_parameters())
        for attr in ("weight", "bias"):
            value = getattr(got, attr, None)
            if not (isinstance(value, torch.nn.Parameter) and registered.get(attr) is value
                    and value.requires_grad):
                return f"{attr}_not_parameter"
        if not bool((got.bias.detach() == 0).all()):
            return "bias_not_zero"
        return None
    if capa is None or x is None:                  # forward(x): needs the layer and x
        return None
    W, b = _f64(capa.weight), _f64(capa.bias)
    expected = _xcorr(x, W) + b
    candidates = [("bias_missing", lambda: _xcorr(x, W)),
                  ("forward_flipped", lambda: _xcorr(x, W.flip(0, 1)) + b),
                  ("transposed", lambda: expected.T)]
    return _tensor_key(got, expected, candidates, off_by_one=True)


def _conv_output_shape(got, input_size, kernel_size, padding=0, stride=1, **_):
    n, k, p, s = _pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None
    if not all(type(v) is int for v in got):      # the grader names no cause for other types
        return None
    values = tuple(got)
    right = tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))
    if values == right:
        return None
    mistakes = [
        ("padding_not_doubled", [(n[i] + p[i] - k[i]) // s[i] + 1 for i in range(2)]),
        ("missing_plus_one", [(n[i] + 2 * p[i] - k[i]) // s[i] for i in range(2)]),
        ("ceil_division", [math.ceil((n[i] + 2 * p[i] - k[i]) / s[i]) + 1 for i in range(2)]),
        ("pair_swapped", [(n[i] + 2 * p[1 - i] - k[1 - i]) // s[1 - i] + 1 for i in range(2)]),
        ("pair_swapped", list(right[::-1])),
    ]
    for key, alt in mistakes:
        if tuple(alt) != right and values == tuple(alt):
            return key
    return None


def _corr2d_pad_stride(got, X, K, padding=0, stride=1, **_):
    F = _t().nn.functional
    p, s = _pair(padding), _pair(stride)
    expected = _xcorr(X, K, p, s)
    Xd = _f64(X)
    candidates = [("padding_ignored", lambda: _xcorr(X, K, 0, s)),
                  ("stride_ignored", lambda: _xcorr(X, K, p, 1)),
                  ("pair_swapped", lambda: _xcorr(X, K, p[::-1], s[::-1])),
                  ("pair_swapped", lambda: _xcorr(X, K, p[::-1], s)),
                  ("pair_swapped", lambda: _xcorr(X, K, p, s[::-1])),
                  ("padding_one_side", lambda: _xcorr(F.pad(Xd, (2 * p[1], 0, 2 * p[0], 0)), K, 0, s)),
                  ("padding_one_side", lambda: _xcorr(F.pad(Xd, (0, 2 * p[1], 0, 2 * p[0])), K, 0, s)),
                  ("flipped_kernel", lambda: _xcorr(X, K.flip(0, 1), p, s)),
                  ("transposed", lambda: expected.T)]
    return _tensor_key(got, expected, candidates)


# ------------------------------------------------------------------ ps3_channels

def _corr2d_multi_in(got, X, K, **_):
    expected = _multi(X, K[None])[0]
    each = _each_channel(X, K)
    candidates = [("channels_not_summed", each), ("channels_not_summed", each.permute(1, 2, 0)),
                  ("channels_averaged", expected / X.shape[0]), ("first_channel_only", each[0]),
                  ("transposed", expected.T)]
    return _tensor_key(got, expected, candidates, off_by_one=True)


def _corr2d_multi_in_out(got, X, K, **_):
    torch = _t()
    expected = _multi(X, K)
    candidates = [("stack_axis", expected.permute(1, 2, 0)),
                  ("stack_axis", expected.permute(1, 0, 2)),
                  ("channels_not_summed", lambda: torch.stack([_each_channel(X, k) for k in K]))]
    return _tensor_key(got, expected, candidates, off_by_one=True)


def _corr2d_multi_in_out_1x1(got, X, K, **_):
    expected = _multi(X, K)
    (ci, h, w), co = X.shape, K.shape[0]
    mixed = None
    if ci != co:     # K read as (c_i, c_o) instead of (c_o, c_i)
        mixed = (_f64(K).reshape(ci, co).T @ _f64(X).reshape(ci, h * w)).reshape(co, h, w)
    candidates = [("kernel_axes_mixed", mixed), ("stack_axis", expected.permute(1, 2, 0))]
    return _tensor_key(got, expected, candidates)


# ------------------------------------------------------------------ ps4_pooling

def _pool(X, size, mode, padding=0, stride=None, **kw):
    """PyTorch's pooling of X (..., h, w) in float64."""
    F = _t().nn.functional
    X = _f64(X)
    lead, (h, w) = X.shape[:-2], X.shape[-2:]
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    out = fn(X.reshape(-1, 1, h, w), size, stride=stride, padding=padding, **kw)
    return out.reshape(tuple(lead) + tuple(out.shape[-2:]))


def _pool2d(got, X, pool_size, mode=None, **_):
    used = mode or "max"
    expected = _pool(X, pool_size, used, stride=1)
    other = "avg" if used == "max" else "max"
    candidates = [("default_mode_not_max" if mode is None else "modes_swapped",
                   lambda: _pool(X, pool_size, other, stride=1)),
                  ("transposed", lambda: expected.T)]
    if used == "avg":
        candidates.append(("avg_as_sum", lambda: expected * (pool_size[0] * pool_size[1])))
    else:
        candidates.append(("min_instead_of_max", lambda: -_pool(-_f64(X), pool_size, "max", stride=1)))
    return _tensor_key(got, expected, candidates, off_by_one=True)


def _pool2d_pad_stride(got, X, pool_size, mode=None, padding=None, stride=None, **_):
    torch = _t()
    F = torch.nn.functional
    p = padding or 0
    used = mode or "max"
    expected = _pool(X, pool_size, used, p, stride)
    k, pp = _pair(pool_size), _pair(p)
    s = _pair(stride) if stride is not None else k
    fill = float("-inf") if used == "max" else 0.0
    Xd = _f64(X)
    candidates = []
    if mode is None:
        candidates.append(("default_mode_not_max", lambda: _pool(X, pool_size, "avg", p, s)))
    if stride is None:
        candidates.append(("default_stride_1", lambda: _pool(X, pool_size, used, p, 1)))
    if used == "max":
        candidates += [("max_zero_padding",
                        lambda: _pool(F.pad(Xd, (pp[1], pp[1], pp[0], pp[0])), pool_size, "max", 0, s)),
                       ("modes_swapped", lambda: _pool(X, pool_size, "avg", p, s))]
    else:
        candidates += [("avg_excludes_padding",
                        lambda: _pool(X, pool_size, "avg", p, s, count_include_pad=False)),
                       ("avg_as_sum", lambda: expected * (k[0] * k[1])),
                       ("modes_swapped", lambda: _pool(X, pool_size, "max", p, s))]
    candidates += [("padding_ignored", lambda: _pool(X, pool_size, used, 0, s)),
                   ("stride_ignored", lambda: _pool(X, pool_size, used, p, 1)),
                   ("pair_swapped", lambda: _pool(X, pool_size, used, pp[::-1], s)),
                   ("pair_swapped", lambda: _pool(X, pool_size, used, p, s[::-1])),
                   ("padding_one_side", lambda: _pool(F.pad(Xd, (pp[1], 0, pp[0], 0), value=fill),
                                                      pool_size, used, 0, s)),
                   ("padding_one_side", lambda: _pool(F.pad(Xd, (2 * pp[1], 0, 2 * pp[0], 0), value=fill),
                                                      pool_size, used, 0, s)),
                   ("transposed", lambda: expected.transpose(-1, -2))]
    key = _tensor_key(got, expected, candidates)
    if key or not isinstance(got, torch.Tensor) or _close(got, expected):
        return key
    # an output size computed from h + p instead of h + 2p
    h, w = X.shape[-2:]
    once = ((h + pp[0] - k[0]) // s[0] + 1, (w + pp[1] - k[1]) // s[1] + 1)
    if tuple(got.shape[-2:]) == once != tuple(expected.shape[-2:]):
        return "padding_not_doubled"
    return None


_DIAGNOSES = {
    "corr2d": _corr2d,
    "conv2d_strict": _conv2d_strict,
    "learn_kernel": _learn_kernel,
    "Conv2D": _conv2d_layer,
    "conv_output_shape": _conv_output_shape,
    "corr2d_pad_stride": _corr2d_pad_stride,
    "corr2d_multi_in": _corr2d_multi_in,
    "corr2d_multi_in_out": _corr2d_multi_in_out,
    "corr2d_multi_in_out_1x1": _corr2d_multi_in_out_1x1,
    "pool2d": _pool2d,
    "pool2d_pad_stride": _pool2d_pad_stride,
}

#: the misconception keys this module can name (each one's text is in hint_texts.TEXTS)
KEYS = frozenset((
    "flipped_kernel", "flipped_one_axis", "transposed", "kernel_transposed", "off_by_one",
    "not_flipped", "mean_loss", "no_zero_grad_manual", "gradient_ascent", "iters_ignored",
    "defaults_changed", "lr_ignored",
    "weight_not_parameter", "bias_not_parameter", "bias_not_zero",
    "bias_missing", "forward_flipped", "padding_not_doubled", "missing_plus_one",
    "ceil_division", "pair_swapped", "padding_ignored", "stride_ignored", "padding_one_side",
    "channels_not_summed", "channels_averaged", "first_channel_only", "stack_axis",
    "kernel_axes_mixed",
    "default_mode_not_max", "modes_swapped", "avg_as_sum", "min_instead_of_max",
    "no_value_error", "default_stride_1", "max_zero_padding", "avg_excludes_padding",
))
