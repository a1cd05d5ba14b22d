"""Hidden suite of ps2_conv2d: Conv2D (8), conv_output_shape (4), corr2d_pad_stride (8)."""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.feedback import check_tensor, fail, fmt_shape, fmt_tensor, fmt_value
from autograder.suites import ctx, generator, randn

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

def _param_problem(lang, info, attr, kernel_size):
    key = f"{attr}_not_parameter"
    d = info[attr]
    if d is None:
        fail(lang, f"Conv2D({kernel_size}) no tiene el atributo {attr}.",
             f"Conv2D({kernel_size}) has no attribute {attr}.", key)
    if not d["is_tensor"]:
        fail(lang, f"En Conv2D({kernel_size}), self.{attr} es de tipo {d['type']}, no un tensor.",
             f"In Conv2D({kernel_size}), self.{attr} is a {d['type']}, not a tensor.", key)
    if not (d["is_parameter"] and d["registered"]):
        fail(lang, f"En Conv2D({kernel_size}), self.{attr} es un tensor común: no aparece en "
                   f"layer.parameters(), así que el optimizador nunca lo actualizaría.",
             f"In Conv2D({kernel_size}), self.{attr} is a plain tensor: it is not in "
             f"layer.parameters(), so an optimizer would never update it.", key)
    if not d["requires_grad"]:
        fail(lang, f"En Conv2D({kernel_size}), self.{attr} tiene requires_grad=False.",
             f"In Conv2D({kernel_size}), self.{attr} has requires_grad=False.", key)


@pytest.mark.points(3)
@pytest.mark.title(es="Conv2D: weight y bias son parámetros (forma, valores iniciales)",
                   en="Conv2D: weight and bias are parameters (shape, initial values)")
def test_conv2d_parameters(student, lang):
    for seed, ks in enumerate([(2, 3), (1, 2), (3, 3)]):
        info = student.probe("Conv2D", "conv2d_params", ks, seed=seed)
        if not info["is_module"]:
            fail(lang, "Conv2D tiene que heredar de nn.Module.", "Conv2D must subclass nn.Module.")
        for attr in ("weight", "bias"):
            _param_problem(lang, info, attr, ks)
        w, b = info["weight"], info["bias"]
        if tuple(w["shape"]) != ks:
            fail(lang, f"Conv2D({ks}).weight tiene forma {fmt_shape(w['shape'])}; se esperaba "
                       f"{fmt_shape(ks)} (la forma del kernel).",
                 f"Conv2D({ks}).weight has shape {fmt_shape(w['shape'])}; expected {fmt_shape(ks)} "
                 f"(the kernel's shape).")
        if tuple(b["shape"]) != (1,):
            fail(lang, f"Conv2D({ks}).bias tiene forma {fmt_shape(b['shape'])}; se esperaba (1,): "
                       f"un único sesgo escalar.",
                 f"Conv2D({ks}).bias has shape {fmt_shape(b['shape'])}; expected (1,): a single "
                 f"scalar bias.")
        value = w["value"].double()
        second = info["weight_second"]["value"].double() if info["weight_second"] else None
        if value.numel() > 1 and bool((value == value.flatten()[0]).all()):
            fail(lang, f"Conv2D({ks}).weight empieza con todos sus valores iguales "
                       f"({fmt_tensor(w['value'])}).",
                 f"Conv2D({ks}).weight starts with all values equal ({fmt_tensor(w['value'])}).",
                 "weight_not_random")
        if second is not None and second.shape == value.shape and torch.equal(second, value):
            fail(lang, f"Dos capas Conv2D({ks}) creadas una tras otra tienen el mismo kernel "
                       f"inicial: cada capa nueva debería empezar con valores aleatorios distintos "
                       f"(¿fijaste la semilla dentro de __init__?).",
                 f"Two Conv2D({ks}) layers created one after the other have the same initial "
                 f"kernel: each new layer should start with different random values (did you "
                 f"seed inside __init__?).", "weight_not_random")
        if not bool((b["value"] == 0).all()):
            fail(lang, f"Conv2D({ks}).bias empieza en {fmt_tensor(b['value'])}.",
                 f"Conv2D({ks}).bias starts at {fmt_tensor(b['value'])}.", "bias_not_zero")


FORWARD_CASES = [((1, 2), 0.5), ((2, 3), -0.25), ((3, 1), 1.5)]


def _forward_inputs():
    g = generator(201)
    out = []
    for i, (ks, bias) in enumerate(FORWARD_CASES):
        x = edge_x() if i == 0 else randn(g, 5 + i, 6 - i)
        grad = randn(g, x.shape[0] - ks[0] + 1, x.shape[1] - ks[1] + 1)
        out.append((ks, bias, x, grad))
    return out


def _run_forward(student, lang, ks, bias, x, grad, seed):
    res = student.probe("Conv2D", "conv2d_forward", ks, x, grad, seed=seed, set_bias=bias,
                        ctx=ctx({"x": x}))
    for attr in ("weight", "bias"):
        _param_problem(lang, res, attr, ks)
    return res


@pytest.mark.points(2)
@pytest.mark.title(es="Conv2D: forward(x) = corr2d(x, weight) + bias",
                   en="Conv2D: forward(x) = corr2d(x, weight) + bias")
def test_conv2d_forward(student, lang):
    for seed, (ks, bias, x, grad) in enumerate(_forward_inputs()):
        res = _run_forward(student, lang, ks, bias, x, grad, seed)
        W, b = res["weight"]["value"], res["bias"]["value"]
        expected = conv(x, W) + b.double()
        alts = [("bias_missing", conv(x, W)), ("forward_flipped", conv(x, W.flip(0, 1)) + b.double()),
                ("transposed", expected.T)]
        check_tensor(lang, f"Conv2D({ks}).forward(x)", res["output"], expected,
                     inputs={"x": x, "weight": W, "bias": b}, alternatives=alts, off_by_one=True)


@pytest.mark.points(3)
@pytest.mark.title(es="Conv2D: los gradientes llegan a weight y bias",
                   en="Conv2D: gradients reach weight and bias")
def test_conv2d_gradients(student, lang):
    for seed, (ks, bias, x, grad) in enumerate(_forward_inputs()):
        res = _run_forward(student, lang, ks, bias, x, grad, seed)
        W = res["weight"]["value"].double().requires_grad_()
        b = res["bias"]["value"].double().requires_grad_()
        out = conv(x, W) + b
        if res["grads"] is None:
            got = res["output"]
            if isinstance(got, torch.Tensor) and tuple(got.shape) != tuple(out.shape):
                fail(lang, f"Conv2D({ks}).forward(x) devolvió la forma "
                           f"{fmt_shape(got.shape)}; se esperaba {fmt_shape(out.shape)}.",
                     f"Conv2D({ks}).forward(x) returned shape {fmt_shape(got.shape)}; expected "
                     f"{fmt_shape(out.shape)}.")
            fail(lang, f"La salida de Conv2D({ks}).forward(x) no está conectada al grafo de "
                       f"gradientes (requires_grad=False): ¿usaste .detach(), .item(), numpy o "
                       f"torch.tensor(...) sobre los pesos?",
                 f"The output of Conv2D({ks}).forward(x) is not connected to the autograd graph "
                 f"(requires_grad=False): did you use .detach(), .item(), numpy or "
                 f"torch.tensor(...) on the weights?")
        (out * grad).sum().backward()
        for name, expected in (("weight", W.grad), ("bias", b.grad)):
            got = res["grads"].get(name)
            if got is None:
                fail(lang, f"Después de backward, Conv2D({ks}).{name}.grad es None: el gradiente "
                           f"no llega a {name}.",
                     f"After backward, Conv2D({ks}).{name}.grad is None: the gradient does not "
                     f"reach {name}.", f"{name}_not_parameter" if name == "bias" else None)
            check_tensor(lang, f"Conv2D({ks}).{name}.grad", got, expected,
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


def check_shape(student, lang, n, k, p=None, s=None):
    kwargs = {}
    if p is not None:
        kwargs["padding"] = p
    if s is not None:
        kwargs["stride"] = s
    args = ", ".join([repr(n), repr(k)] + [f"{a}={v!r}" for a, v in kwargs.items()])
    call = f"conv_output_shape({args})"
    got = student.function("conv_output_shape", n, k, kwargs=kwargs)
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
                fail(lang, f"{call} devolvió {fmt_value(got)}: los tamaños tienen que ser enteros "
                           f"(int), usa la división entera //.",
                     f"{call} returned {fmt_value(got)}: sizes must be ints, use floor division //.")
            ok_types = False
    if not ok_types:
        fail(lang, f"{call} tiene que devolver una tupla de dos enteros (alto, ancho); devolvió "
                   f"{fmt_value(got)}.",
             f"{call} must return a tuple of two ints (height, width); it returned "
             f"{fmt_value(got)}.")
    if tuple(values) != want:
        key = None
        for k_, alt in shape_alternatives(n, k, p or 0, s or 1):
            if tuple(values) == alt:
                key = k_
                break
        fail(lang, f"{call} devolvió {fmt_value(tuple(values))}; se esperaba {want} "
                   f"(floor((n + 2p - k) / s) + 1 en cada eje).",
             f"{call} returned {fmt_value(tuple(values))}; expected {want} "
             f"(floor((n + 2p - k) / s) + 1 on each axis).", key)


@pytest.mark.points(2)
@pytest.mark.title(es="conv_output_shape: los cuatro ejemplos del curso (entrada 8x8)",
                   en="conv_output_shape: the course's four examples (8x8 input)")
def test_conv_output_shape_course(student, lang):
    check_shape(student, lang, 8, 3, 1)
    check_shape(student, lang, (8, 8), (7, 5), (3, 2))
    check_shape(student, lang, 8, 3, 1, 2)
    check_shape(student, lang, (8, 8), (3, 5), (0, 1), (3, 4))


@pytest.mark.points(2)
@pytest.mark.title(es="conv_output_shape: tamaños aleatorios, enteros y pares (alto, ancho)",
                   en="conv_output_shape: random sizes, ints and (height, width) pairs")
def test_conv_output_shape_random(student, lang):
    g = torch.Generator().manual_seed(202)

    def r(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    check_shape(student, lang, 15, 5)            # course exercise: 15x15, 5x5 -> 11x11
    check_shape(student, lang, (28, 28), (5, 5), 2)
    for i in range(10):
        n = (r(6, 40), r(6, 40))
        k = (r(1, 6), r(1, 6))
        p = (r(0, 3), r(0, 3))
        s = (r(1, 4), r(1, 4))
        if i % 2:
            check_shape(student, lang, n, k, p, s)
        else:
            check_shape(student, lang, n[0], k[0], p[0], s[0])


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


def check_pad_stride(student, lang, X, K, p=None, s=None):
    kwargs, names = {}, ["X", "K"]
    if p is not None:
        kwargs["padding"] = p
        names.append(f"padding={p!r}")
    if s is not None:
        kwargs["stride"] = s
        names.append(f"stride={s!r}")
    got = student.function("corr2d_pad_stride", X, K, kwargs=kwargs, guard=True,
                           isolate=("corr2d",), ctx=ctx({"X": X, "K": K}))
    expected = conv(X, K, p or 0, s or 1)
    check_tensor(lang, f"corr2d_pad_stride({', '.join(names)})", got, expected,
                 inputs={"X": X, "K": K},
                 alternatives=pad_stride_alternatives(X, K, p or 0, s or 1, expected))


@pytest.mark.points(2)
@pytest.mark.title(es="corr2d_pad_stride: sin padding ni stride es corr2d",
                   en="corr2d_pad_stride: without padding or stride it is corr2d")
def test_pad_stride_defaults(student, lang):
    g = generator(203)
    for h, w, kh, kw in [(5, 7, 2, 3), (6, 4, 3, 1), (4, 4, 4, 4)]:
        check_pad_stride(student, lang, randn(g, h, w), randn(g, kh, kw))


@pytest.mark.points(3)
@pytest.mark.title(es="corr2d_pad_stride: los ejemplos del curso (entrada 8x8) contra F.conv2d",
                   en="corr2d_pad_stride: the course's examples (8x8 input) against F.conv2d")
def test_pad_stride_course(student, lang):
    g = generator(204)
    X = randn(g, 8, 8)
    check_pad_stride(student, lang, X, randn(g, 3, 3), 1)
    check_pad_stride(student, lang, X, randn(g, 7, 5), (3, 2))
    check_pad_stride(student, lang, X, randn(g, 3, 3), 1, 2)
    check_pad_stride(student, lang, X, randn(g, 3, 5), (0, 1), (3, 4))


@pytest.mark.points(3)
@pytest.mark.title(es="corr2d_pad_stride: entradas aleatorias, padding y stride enteros o pares",
                   en="corr2d_pad_stride: random inputs, padding and stride as ints or pairs")
def test_pad_stride_random(student, lang):
    g = generator(205)
    cases = [(7, 9, (2, 3), 1, 2), (9, 6, (3, 2), (2, 1), (1, 3)), (5, 5, (1, 1), 2, 3),
             (10, 7, (5, 7), (2, 0), (3, 1)), (6, 11, (2, 2), (0, 3), 2)]
    for i, (h, w, ks, p, s) in enumerate(cases):
        dtype = torch.float64 if i % 2 else torch.float32
        check_pad_stride(student, lang, randn(g, h, w, dtype=dtype), randn(g, *ks, dtype=dtype), p, s)
