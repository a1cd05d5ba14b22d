"""Hidden suite of ps2_conv2d: Conv2D (8), conv_output_shape (4), corr2d_pad_stride (8)."""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.suites import Call, generator, graded, in_both_dtypes, randn
from autograder.text.feedback import fmt_shape, fmt_tensor, fmt_value
from autograder.text.i18n import N_

pytestmark = pytest.mark.assignment("ps2_conv2d")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv(X, K, padding=0, stride=1):
    """Trusted zero-padded strided cross-correlation in float64 (PyTorch's F.conv2d)."""
    return F.conv2d(X.double()[None, None], K.double()[None, None], padding=padding,
                    stride=stride)[0, 0]


def edge_x():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


# --------------------------------------------------------------------------------------------
# Conv2D

def _param_problem(say, info, attr, kernel_size):
    key, ks = f"{attr}_not_parameter", kernel_size
    d = info[attr]
    if d is None:
        say.wrong("Conv2D({ks}) no tiene el atributo {attr}.", key, ks=ks, attr=attr)
    if not d["is_tensor"]:
        say.wrong("En Conv2D({ks}), self.{attr} es de tipo {type}, no un tensor.", key, ks=ks,
                  attr=attr, type=d["type"])
    if not (d["is_parameter"] and d["registered"]):
        say.wrong("En Conv2D({ks}), self.{attr} es un tensor común: no aparece en "
                  "layer.parameters(), así que el optimizador nunca lo actualizaría.", key, ks=ks,
                  attr=attr)
    if not d["requires_grad"]:
        say.wrong("En Conv2D({ks}), self.{attr} tiene requires_grad=False.", key, ks=ks, attr=attr)


@graded("Conv2D", points=3, title=N_("weight y bias son parámetros (forma, valores iniciales)"))
def test_conv2d_parameters(student, say):
    for seed, ks in enumerate([(2, 3), (1, 2), (3, 3)]):
        info = student.probe("Conv2D", "conv2d_params", ks, seed=seed)
        if not info["is_module"]:
            say.wrong("Conv2D tiene que heredar de nn.Module.")
        for attr in ("weight", "bias"):
            _param_problem(say, info, attr, ks)
        w, b = info["weight"], info["bias"]
        if tuple(w["shape"]) != ks:
            say.wrong("Conv2D({ks}).weight tiene forma {got}; se esperaba {expected} (la forma del "
                      "kernel).", ks=ks, got=fmt_shape(w["shape"]), expected=fmt_shape(ks))
        if tuple(b["shape"]) != (1,):
            say.wrong("Conv2D({ks}).bias tiene forma {got}; se esperaba (1,): un único sesgo "
                      "escalar.", ks=ks, got=fmt_shape(b["shape"]))
        value = w["value"].double()
        second = info["weight_second"]["value"].double() if info["weight_second"] else None
        if value.numel() > 1 and bool((value == value.flatten()[0]).all()):
            say.wrong("Conv2D({ks}).weight empieza con todos sus valores iguales ({got}).",
                      "weight_not_random", ks=ks, got=fmt_tensor(w["value"]))
        if second is not None and second.shape == value.shape and torch.equal(second, value):
            say.wrong("Dos capas Conv2D({ks}) creadas una tras otra tienen el mismo kernel "
                      "inicial: cada capa nueva debería empezar con valores aleatorios distintos "
                      "(¿fijaste la semilla dentro de __init__?).", "weight_not_random", ks=ks)
        if not bool((b["value"] == 0).all()):
            say.wrong("Conv2D({ks}).bias empieza en {got}.", "bias_not_zero", ks=ks,
                      got=fmt_tensor(b["value"]))


FORWARD_CASES = [((1, 2), 0.5), ((2, 3), -0.25), ((3, 1), 1.5)]


def _forward_inputs():
    g = generator(201)
    out = []
    for i, (ks, bias) in enumerate(FORWARD_CASES):
        x = edge_x() if i == 0 else randn(g, 5 + i, 6 - i)
        grad = randn(g, x.shape[0] - ks[0] + 1, x.shape[1] - ks[1] + 1)
        out.append((ks, bias, x, grad))
    return out


def _run_forward(student, say, ks, bias, x, grad, seed):
    res = student.probe("Conv2D", "conv2d_forward", ks, x, grad, seed=seed, set_bias=bias,
                        inputs={"x": x})
    for attr in ("weight", "bias"):
        _param_problem(say, res, attr, ks)
    return res


@graded("Conv2D", points=2, title=N_("forward(x) = corr2d(x, weight) + bias"))
def test_conv2d_forward(student, say):
    for seed, (ks, bias, x, grad) in enumerate(_forward_inputs()):
        res = _run_forward(student, say, ks, bias, x, grad, seed)
        W, b = res["weight"]["value"], res["bias"]["value"]
        expected = conv(x, W) + b.double()
        alts = [("bias_missing", conv(x, W)), ("forward_flipped", conv(x, W.flip(0, 1)) + b.double()),
                ("transposed", expected.T)]
        say.check_tensor(f"Conv2D({ks}).forward(x)", res["output"], expected,
                         inputs={"x": x, "weight": W, "bias": b}, alternatives=alts, off_by_one=True)


@graded("Conv2D", points=3, title=N_("los gradientes llegan a weight y bias"))
def test_conv2d_gradients(student, say):
    for seed, (ks, bias, x, grad) in enumerate(_forward_inputs()):
        res = _run_forward(student, say, ks, bias, x, grad, seed)
        W = res["weight"]["value"].double().requires_grad_()
        b = res["bias"]["value"].double().requires_grad_()
        out = conv(x, W) + b
        if res["grads"] is None:
            got = res["output"]
            if isinstance(got, torch.Tensor) and tuple(got.shape) != tuple(out.shape):
                say.wrong("Conv2D({ks}).forward(x) devolvió la forma {got}; se esperaba "
                          "{expected}.", ks=ks, got=fmt_shape(got.shape),
                          expected=fmt_shape(out.shape))
            say.wrong("La salida de Conv2D({ks}).forward(x) no está conectada al grafo de "
                      "gradientes (requires_grad=False): ¿usaste .detach(), .item(), numpy o "
                      "torch.tensor(...) sobre los pesos?", ks=ks)
        (out * grad).sum().backward()
        for name, expected in (("weight", W.grad), ("bias", b.grad)):
            got = res["grads"].get(name)
            if got is None:
                key = "bias_not_parameter" if name == "bias" else None
                say.wrong("Después de backward, Conv2D({ks}).{name}.grad es None: el gradiente "
                          "no llega a {name}.", key, ks=ks, name=name)
            say.check_tensor(f"Conv2D({ks}).{name}.grad", got, expected,
                             inputs={"x": x, "dL/dY": grad})


# --------------------------------------------------------------------------------------------
# conv_output_shape

def expected_shape(n, k, p, s):
    """Trusted: the shape F.conv2d actually produces."""
    (nh, nw), (kh, kw) = pair(n), pair(k)
    out = F.conv2d(torch.zeros(1, 1, nh, nw), torch.zeros(1, 1, kh, kw), padding=p, stride=s)
    return tuple(out.shape[-2:])


def shape_alternatives(n, k, p, s):
    n, k, p, s = pair(n), pair(k), pair(p), pair(s)
    f = {
        "padding_not_doubled": lambda i: (n[i] + p[i] - k[i]) // s[i] + 1,
        "missing_plus_one": lambda i: (n[i] + 2 * p[i] - k[i]) // s[i],
        "ceil_division": lambda i: math.ceil((n[i] + 2 * p[i] - k[i]) / s[i]) + 1,
        "pair_swapped": lambda i: (n[i] + 2 * p[1 - i] - k[1 - i]) // s[1 - i] + 1,
    }
    alts = [(key, tuple(fn(i) for i in range(2))) for key, fn in f.items()]
    right = expected_shape(n, k, p, s)
    alts.append(("pair_swapped", right[::-1]))
    return [(key, v) for key, v in alts if v != right]


def _size_kwargs(padding, stride):
    """The padding/stride keyword arguments a check passes (None: left to the default)."""
    return {k: v for k, v in (("padding", padding), ("stride", stride)) if v is not None}


def check_shape(student, say, n, k, p=None, s=None):
    call = Call("conv_output_shape", {"n": n, "k": k}, **_size_kwargs(p, s))
    got = student.run(call)
    want = expected_shape(n, k, p or 0, s or 1)
    ok_types = isinstance(got, (tuple, list)) and len(got) == 2
    values = None
    if ok_types:
        values = []
        for v in got:
            if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_floating_point():
                v = int(v)
            values.append(v)
        if not all(type(v) is int for v in values):
            if all(isinstance(v, float) and v.is_integer() for v in values) and tuple(map(int, values)) == want:
                say.wrong("{call} devolvió {got}: los tamaños tienen que ser enteros (int), usa la "
                          "división entera //.", call=call, got=fmt_value(got))
            ok_types = False
    if not ok_types:
        say.wrong("{call} tiene que devolver una tupla de dos enteros (alto, ancho); devolvió "
                  "{got}.", call=call, got=fmt_value(got))
    if tuple(values) != want:
        key = None
        for k_, alt in shape_alternatives(n, k, p or 0, s or 1):
            if tuple(values) == alt:
                key = k_
                break
        say.wrong("{call} devolvió {got}; se esperaba {expected} (floor((n + 2p - k) / s) + 1 en "
                  "cada eje).", key, call=call, got=fmt_value(tuple(values)), expected=want)


@graded("conv_output_shape", points=2,
        title=N_("los cuatro ejemplos del curso (entrada 8x8)"))
def test_conv_output_shape_course(student, say):
    check_shape(student, say, 8, 3, 1)
    check_shape(student, say, (8, 8), (7, 5), (3, 2))
    check_shape(student, say, 8, 3, 1, 2)
    check_shape(student, say, (8, 8), (3, 5), (0, 1), (3, 4))


@graded("conv_output_shape", points=2,
        title=N_("tamaños aleatorios, enteros y pares (alto, ancho)"))
def test_conv_output_shape_random(student, say):
    g = torch.Generator().manual_seed(202)

    def r(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    check_shape(student, say, 15, 5)            # course exercise: 15x15, 5x5 -> 11x11
    check_shape(student, say, (28, 28), (5, 5), 2)
    for i in range(10):
        n = (r(6, 40), r(6, 40))
        k = (r(1, 6), r(1, 6))
        p = (r(0, 3), r(0, 3))
        s = (r(1, 4), r(1, 4))
        if i % 2:
            check_shape(student, say, n, k, p, s)
        else:
            check_shape(student, say, n[0], k[0], p[0], s[0])


# --------------------------------------------------------------------------------------------
# corr2d_pad_stride

def pad_stride_alternatives(X, K, p, s, expected):
    p, s = pair(p), pair(s)
    alts = [("padding_ignored", lambda: conv(X, K, 0, s)), ("stride_ignored", lambda: conv(X, K, p, 1)),
            ("pair_swapped", lambda: conv(X, K, p[::-1], s[::-1])),
            ("pair_swapped", lambda: conv(X, K, p[::-1], s)),
            ("pair_swapped", lambda: conv(X, K, p, s[::-1])),
            ("padding_one_side", lambda: conv(F.pad(X, (2 * p[1], 0, 2 * p[0], 0)), K, 0, s)),
            ("padding_one_side", lambda: conv(F.pad(X, (0, 2 * p[1], 0, 2 * p[0])), K, 0, s)),
            ("flipped_kernel", lambda: conv(X, K.flip(0, 1), p, s)),
            ("transposed", lambda: expected.T)]
    out = []
    for key, fn in alts:
        try:
            out.append((key, fn()))
        except RuntimeError:  # this variant is impossible for these sizes
            pass
    return out


def check_pad_stride(student, say, X, K, p=None, s=None):
    call = Call("corr2d_pad_stride", {"X": X, "K": K}, **_size_kwargs(p, s))
    got = student.run(call, guard=True, isolate=("corr2d",))
    expected = conv(X, K, p or 0, s or 1)
    say.check_tensor(call, got, expected,
                     alternatives=pad_stride_alternatives(X, K, p or 0, s or 1, expected))


@graded("corr2d_pad_stride", points=2, title=N_("sin padding ni stride es corr2d"))
def test_pad_stride_defaults(student, say):
    g = generator(203)
    for h, w, kh, kw in [(5, 7, 2, 3), (6, 4, 3, 1), (4, 4, 4, 4)]:
        check_pad_stride(student, say, randn(g, h, w), randn(g, kh, kw))


@graded("corr2d_pad_stride", points=3,
        title=N_("los ejemplos del curso (entrada 8x8) contra F.conv2d"))
def test_pad_stride_course(student, say):
    g = generator(204)
    X = randn(g, 8, 8)
    check_pad_stride(student, say, X, randn(g, 3, 3), 1)
    check_pad_stride(student, say, X, randn(g, 7, 5), (3, 2))
    check_pad_stride(student, say, X, randn(g, 3, 3), 1, 2)
    check_pad_stride(student, say, X, randn(g, 3, 5), (0, 1), (3, 4))


@graded("corr2d_pad_stride", points=3,
        title=N_("entradas aleatorias, padding y stride enteros o pares"))
def test_pad_stride_random(student, say):
    g = generator(205)
    cases = [(7, 9, (2, 3), 1, 2), (9, 6, (3, 2), (2, 1), (1, 3)), (5, 5, (1, 1), 2, 3),
             (10, 7, (5, 7), (2, 0), (3, 1)), (6, 11, (2, 2), (0, 3), 2),
             (8, 7, (3, 2), [1, 2], [2, 1])]  # a pair given as a list
    for dtype, (h, w, ks, p, s) in in_both_dtypes(cases):
        check_pad_stride(student, say, randn(g, h, w, dtype=dtype), randn(g, *ks, dtype=dtype), p, s)
