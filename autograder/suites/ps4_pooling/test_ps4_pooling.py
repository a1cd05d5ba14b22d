"""Hidden suite of ps4_pooling: pool2d (8), pool2d_pad_stride (12)."""
import pytest
import torch
import torch.nn.functional as F

from autograder.sandbox import StudentCrash, StudentError
from autograder.suites import Call, diagnosis, generator, graded, in_both_dtypes, randn
from autograder.text.i18n import N_

pytestmark = pytest.mark.assignment("ps4_pooling")

COURSE_X = torch.arange(9.0).reshape(3, 3)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pool(X, size, mode, padding=0, stride=None, **kw):
    """Trusted pooling of X (..., h, w) in float64 with PyTorch's F.max_pool2d / F.avg_pool2d."""
    X = X.double()
    lead, (h, w) = X.shape[:-2], X.shape[-2:]
    flat = X.reshape(-1, 1, h, w)
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    out = fn(flat, size, stride=stride, padding=padding, **kw)
    return out.reshape(tuple(lead) + tuple(out.shape[-2:]))


def pool_min(X, size):
    return -pool(-X, size, "max", stride=1)


def _try(fn):
    try:
        return fn()
    except RuntimeError:
        return None


# --------------------------------------------------------------------------------------------

def check_pool2d(student, say, X, size, mode=None):
    """mode=None: the call leaves mode to its default, which must be 'max'."""
    call = Call("pool2d", {"X": X, "pool_size": size}, **({} if mode is None else {"mode": mode}))
    got = student.run(call, guard=True)
    used = mode or "max"
    expected = pool(X, size, used, stride=1)
    n = size[0] * size[1]
    other = pool(X, size, "avg" if used == "max" else "max", stride=1)
    alts = [("default_mode_not_max" if mode is None else "modes_swapped", other),
            ("transposed", expected.T)]
    if used == "avg":
        alts.append(("avg_as_sum", expected * n))
    else:
        alts.append(("min_instead_of_max", pool_min(X, size)))
    say.check_tensor(call, got, expected, alternatives=alts, off_by_one=True)


@graded("pool2d", points=2, title=N_("ejemplos del curso (máximo y promedio con ventana 2x2)"))
def test_pool2d_course(student, say):
    check_pool2d(student, say, COURSE_X, (2, 2), "max")
    check_pool2d(student, say, COURSE_X, (2, 2), "avg")
    check_pool2d(student, say, COURSE_X - 4.0, (2, 2))  # the default mode is 'max'


@graded("pool2d", points=4,
        title=N_("entradas aleatorias con valores negativos y ventanas no cuadradas"))
def test_pool2d_random(student, say):
    g = generator(401)
    cases = [(5, 7, (2, 3)), (6, 4, (3, 1)), (4, 4, (4, 4)), (7, 9, (1, 1)), (8, 6, (3, 2))]
    for dtype, (h, w, size) in in_both_dtypes(cases):
        X = randn(g, h, w, dtype=dtype) - 1.0
        for mode in ("max", "avg"):
            check_pool2d(student, say, X, size, mode)


def check_unknown_mode(student, say, name, X, size):
    """name(X, size, mode=...) with a mode other than 'max'/'avg' must raise ValueError."""
    student.require(name)
    for mode in ("min", "average", "MAX"):
        call = Call(name, {"X": X, "pool_size": size}, mode=mode)
        try:
            result = student.call("call_student", name, call.values, call.kwargs,
                                  guard=True, timeout=10)
        except StudentError as exc:
            if exc.type_name == "ValueError":
                continue
            if exc.type_name in ("NotImplementedError", "ForbiddenBuiltinError"):
                student.run(call, guard=True)
            say.wrong("{call} lanzó {type}; se esperaba ValueError.", "no_value_error", call=call,
                      type=exc.type_name)
        except StudentCrash:
            student.run(call, guard=True)
            raise
        say.wrong("{call} devolvió {value} sin lanzar ValueError.", "no_value_error", call=call,
                  value=str(result["value"])[:200])


@graded("pool2d", points=2, title=N_("un modo desconocido lanza ValueError"))
def test_pool2d_unknown_mode(student, say):
    check_unknown_mode(student, say, "pool2d", torch.arange(9.0).reshape(3, 3), (2, 2))


# --------------------------------------------------------------------------------------------

def check_pad_stride(student, say, X, size, mode=None, padding=None, stride=None):
    """mode=None: the call leaves mode to its default, which must be 'max'."""
    kwargs = {k: v for k, v in (("mode", mode), ("padding", padding), ("stride", stride))
              if v is not None}
    call = Call("pool2d_pad_stride", {"X": X, "pool_size": size}, **kwargs)
    got = student.run(call, guard=True)
    p = padding or 0
    default_mode, mode = mode is None, mode or "max"
    expected = pool(X, size, mode, p, stride)
    k, pp = pair(size), pair(p)
    s = pair(stride) if stride is not None else k
    fill = float("-inf") if mode == "max" else 0.0
    alts = []
    if default_mode:
        alts.append(("default_mode_not_max", lambda: pool(X, size, "avg", p, s)))
    if stride is None:
        alts.append(("default_stride_1", lambda: pool(X, size, mode, p, 1)))
    if mode == "max":
        alts.append(("max_zero_padding",
                     lambda: pool(F.pad(X, (pp[1], pp[1], pp[0], pp[0])), size, "max", 0, s)))
        alts.append(("modes_swapped", lambda: pool(X, size, "avg", p, s)))
    else:
        alts.append(("avg_excludes_padding",
                     lambda: pool(X, size, "avg", p, s, count_include_pad=False)))
        alts.append(("avg_as_sum", lambda: expected * (k[0] * k[1])))
        alts.append(("modes_swapped", lambda: pool(X, size, "max", p, s)))
    alts += [("padding_ignored", lambda: pool(X, size, mode, 0, s)),
             ("stride_ignored", lambda: pool(X, size, mode, p, 1)),
             ("pair_swapped", lambda: pool(X, size, mode, pp[::-1], s)),
             ("pair_swapped", lambda: pool(X, size, mode, p, s[::-1])),
             ("padding_one_side",
              lambda: pool(F.pad(X, (pp[1], 0, pp[0], 0), value=fill), size, mode, 0, s)),
             ("padding_one_side",
              lambda: pool(F.pad(X, (2 * pp[1], 0, 2 * pp[0], 0), value=fill), size, mode, 0, s)),
             ("transposed", lambda: expected.transpose(-1, -2))]
    alts = [(key, _try(fn)) for key, fn in alts]

    def padding_counted_once():  # an output size computed from h + p instead of h + 2p
        h, w = X.shape[-2:]
        once = ((h + pp[0] - k[0]) // s[0] + 1, (w + pp[1] - k[1]) // s[1] + 1)
        shape = tuple(got.shape[-2:])
        return "padding_not_doubled" if shape == once != tuple(expected.shape[-2:]) else None

    with diagnosis(say, padding_counted_once):
        say.check_tensor(call, got, expected, alternatives=alts)


@graded("pool2d_pad_stride", points=3,
        title=N_("ejemplos del curso (arange(16) como 1x1x4x4, como nn.MaxPool2d)"))
def test_pad_stride_course(student, say):
    X = torch.arange(16.0).reshape(1, 1, 4, 4)
    check_pad_stride(student, say, X, 3)  # nn.MaxPool2d(3): the default mode is 'max'
    check_pad_stride(student, say, X, 3, "max", padding=1, stride=2)
    check_pad_stride(student, say, X, (2, 3), "max", padding=(0, 1), stride=(2, 3))
    check_pad_stride(student, say, X - 8.0, 2, padding=1, stride=1)
    check_pad_stride(student, say, COURSE_X, (2, 2), "avg", stride=1)


@graded("pool2d_pad_stride", points=3,
        title=N_("máximo con padding (valores negativos), stride y paso por defecto"))
def test_pad_stride_max(student, say):
    g = generator(402)
    cases = [((5, 7), 2, 1, None), ((6, 6), (3, 2), (1, 1), (2, 1)), ((7, 5), 3, 1, 2),
             ((4, 9), (2, 4), (1, 2), None), ((8, 8), 2, 0, None),
             ((6, 7), [3, 2], [1, 1], [2, 1]), ((6, 6), 6, 3, None)]  # pairs as lists; padding 3
    for dtype, (hw, size, p, s) in in_both_dtypes(cases):
        X = randn(g, *hw, dtype=dtype) - 2.0  # mostly negative: zero padding would show
        check_pad_stride(student, say, X, size, "max", p, s)


@graded("pool2d_pad_stride", points=3,
        title=N_("promedio con padding (cuenta los ceros) y stride"))
def test_pad_stride_avg(student, say):
    g = generator(403)
    cases = [((5, 7), 2, 1, None), ((6, 6), (3, 2), (1, 1), (2, 1)), ((7, 5), 3, 1, 2),
             ((8, 8), 2, 0, None), ((9, 4), (3, 2), (0, 1), (3, 1)), ((6, 7), 4, 2, None),
             ((9, 8), (5, 4), (2, 2), (2, 3)), ((6, 12), 6, 3, None), ((4, 6), [4, 6], [2, 3], None)]
    for dtype, (hw, size, p, s) in in_both_dtypes(cases):
        check_pad_stride(student, say, randn(g, *hw, dtype=dtype) + 1.0, size, "avg", p, s)
    # the last two cases and this one: the last window ends on the last padded row and column
    # (n + 2p - k is a multiple of the stride), so a padded buffer too small on one side shows
    # (its missing zeros change the average; max pads with -inf and cannot tell)
    check_pad_stride(student, say, torch.arange(16.0).reshape(1, 1, 4, 4), 4, "avg", 2)


@graded("pool2d_pad_stride", points=2,
        title=N_("canales y lotes (dimensiones iniciales) por separado"))
def test_pad_stride_leading_dims(student, say):
    g = generator(404)
    cases = [((3, 6, 5), 2, "max", 1, None), ((2, 3, 5, 6), (2, 3), "avg", (1, 1), (1, 2)),
             ((4, 7, 7), 3, "avg", 1, 2), ((2, 2, 6, 6), 2, "max", 0, None)]
    for shape, size, mode, p, s in cases:
        check_pad_stride(student, say, randn(g, *shape) - 0.5, size, mode, p, s)


@graded("pool2d_pad_stride", points=1, title=N_("un modo desconocido lanza ValueError"))
def test_pad_stride_unknown_mode(student, say):
    check_unknown_mode(student, say, "pool2d_pad_stride", torch.arange(16.0).reshape(1, 4, 4), 2)
