"""Hidden suite of ps3_channels: corr2d_multi_in (6), corr2d_multi_in_out (6),
corr2d_multi_in_out_1x1 (8)."""
import pytest
import torch
import torch.nn.functional as F

from autograder.suites import Call, generator, graded, randn, random_pairs
from autograder.text.i18n import N_

pytestmark = pytest.mark.assignment("ps3_channels")

COURSE_X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
COURSE_K = torch.stack([torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])])
COURSE_K3 = torch.stack([COURSE_K, COURSE_K + 1, COURSE_K + 2])


def conv(X, K):
    """Trusted multi-channel cross-correlation: X (c_i, h, w), K (c_o, c_i, k_h, k_w)."""
    return F.conv2d(X.double()[None], K.double())[0]


def per_channel(X, K):
    """Each input channel correlated with its own kernel slice, not summed: (c_i, h', w')."""
    return F.conv2d(X.double()[None], K.double()[:, None], groups=X.shape[0])[0]


# --------------------------------------------------------------------------------------------

def check_multi_in(student, say, X, K):
    call = Call("corr2d_multi_in", {"X": X, "K": K})
    got = student.run(call, guard=True, isolate=("corr2d",))
    expected = conv(X, K[None])[0]
    separate = per_channel(X, K)
    alts = [("channels_not_summed", separate), ("channels_not_summed", separate.permute(1, 2, 0)),
            ("channels_averaged", expected / X.shape[0]), ("first_channel_only", separate[0]),
            ("transposed", expected.T)]
    say.check_tensor(call, got, expected, alternatives=alts, off_by_one=True)


@graded("corr2d_multi_in", points=2, title=N_("ejemplo del curso (2 canales de entrada)"))
def test_multi_in_course(student, say):
    check_multi_in(student, say, COURSE_X, COURSE_K)


@graded("corr2d_multi_in", points=4,
        title=N_("entradas aleatorias (1 a 5 canales, no cuadradas)"))
def test_multi_in_random(student, say):
    # (X shape (c_i, h, w), K shape (c_i, k_h, k_w))
    shapes = [((3, 5, 7), (3, 2, 3)), ((1, 6, 4), (1, 3, 3)), ((5, 4, 6), (5, 1, 1)),
              ((2, 7, 5), (2, 7, 2)), ((4, 9, 8), (4, 3, 2))]
    for X, K in random_pairs(301, shapes):
        check_multi_in(student, say, X, K)


# --------------------------------------------------------------------------------------------

def check_multi_in_out(student, say, X, K):
    call = Call("corr2d_multi_in_out", {"X": X, "K": K})
    got = student.run(call, guard=True, isolate=("corr2d", "corr2d_multi_in"))
    expected = conv(X, K)
    alts = [("stack_axis", expected.permute(1, 2, 0)), ("stack_axis", expected.permute(1, 0, 2)),
            ("channels_not_summed", torch.stack([per_channel(X, k) for k in K]))]
    say.check_tensor(call, got, expected, alternatives=alts, off_by_one=True)


@graded("corr2d_multi_in_out", points=2,
        title=N_("ejemplo del curso (K, K+1, K+2: 3 canales de salida)"))
def test_multi_in_out_course(student, say):
    check_multi_in_out(student, say, COURSE_X, COURSE_K3)


@graded("corr2d_multi_in_out", points=4,
        title=N_("entradas aleatorias (varios canales de entrada y salida)"))
def test_multi_in_out_random(student, say):
    # (X shape (c_i, h, w), K shape (c_o, c_i, k_h, k_w))
    shapes = [((3, 5, 6), (2, 3, 2, 3)), ((1, 6, 5), (4, 1, 3, 2)), ((2, 4, 4), (1, 2, 1, 1)),
              ((3, 7, 5), (3, 3, 2, 2))]
    for X, K in random_pairs(302, shapes):
        check_multi_in_out(student, say, X, K)


# --------------------------------------------------------------------------------------------

def call_1x1(X, K):
    return Call("corr2d_multi_in_out_1x1", {"X": X, "K": K})


@graded("corr2d_multi_in_out_1x1", points=4, title=N_("igual a la convolución 1x1 de PyTorch"))
def test_1x1_values(student, say):
    shapes = [((3, 3, 3), (2, 3, 1, 1)), ((3, 5, 7), (4, 3, 1, 1)), ((5, 6, 2), (1, 5, 1, 1)),
              ((1, 4, 4), (3, 1, 1, 1)), ((4, 64, 80), (6, 4, 1, 1))]
    for X, K in random_pairs(303, shapes):
        (ci, h, w), co = X.shape, K.shape[0]
        call = call_1x1(X, K)
        got = student.run(call, guard=True)
        expected = conv(X, K)
        mixed = (K.double().reshape(ci, co).T @ X.double().reshape(ci, h * w)).reshape(co, h, w) \
            if ci != co else None
        alts = [("kernel_axes_mixed", mixed), ("stack_axis", expected.permute(1, 2, 0))]
        say.check_tensor(call, got, expected, alternatives=alts)


@graded("corr2d_multi_in_out_1x1", points=4,
        title=N_("un único producto de matrices, sin recorrer píxeles"))
def test_1x1_single_product(student, say):
    g = generator(304)
    small = student.run(call_1x1(randn(g, 3, 4, 5), randn(g, 2, 3, 1, 1)), guard=True, count=True,
                        full=True)
    big = student.run(call_1x1(randn(g, 3, 24, 30), randn(g, 2, 3, 1, 1)), guard=True, count=True,
                      full=True)
    d_ops = (big["ops"] or 0) - (small["ops"] or 0)
    d_lines = (big["lines"] or 0) - (small["lines"] or 0)
    # 20 vs 720 pixels: a vectorised function does the same work; a loop over pixels (or rows)
    # does hundreds more tensor operations or Python steps.
    if d_ops > 40 or d_lines > 40:
        say.wrong("Con una entrada de 4x5 píxeles tu función hizo {small_ops} operaciones de "
                  "tensores y ejecutó {small_lines} líneas de Python; con 24x30 píxeles, {big_ops} "
                  "operaciones y {big_lines} líneas. El trabajo crece con el número de píxeles.",
                  "per_pixel_loop", small_ops=small["ops"], small_lines=small["lines"],
                  big_ops=big["ops"], big_lines=big["lines"])
    # and a large image comes back quickly and right
    X, K = randn(g, 8, 256, 320), randn(g, 16, 8, 1, 1)
    call = call_1x1(X, K)
    got = student.run(call, guard=True, timeout=15)
    say.check_tensor(call, got, conv(X, K), rtol=1e-5, atol=1e-4)
