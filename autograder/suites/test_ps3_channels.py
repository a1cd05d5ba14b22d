"""Hidden suite of ps3_channels: corr2d_multi_in (6), corr2d_multi_in_out (6),
corr2d_multi_in_out_1x1 (8)."""
import pytest
import torch
import torch.nn.functional as F

from autograder.feedback import check_tensor, fail
from autograder.suites import ctx, generator, randn

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

def check_multi_in(student, lang, X, K):
    got = student.function("corr2d_multi_in", X, K, guard=True, isolate=("corr2d",),
                           ctx=ctx({"X": X, "K": K}))
    expected = conv(X, K[None])[0]
    separate = per_channel(X, K)
    alts = [("channels_not_summed", separate), ("channels_not_summed", separate.permute(1, 2, 0)),
            ("channels_averaged", expected / X.shape[0]), ("first_channel_only", separate[0]),
            ("transposed", expected.T)]
    check_tensor(lang, "corr2d_multi_in(X, K)", got, expected, inputs={"X": X, "K": K},
                 alternatives=alts, off_by_one=True)


@pytest.mark.points(2)
@pytest.mark.title(es="corr2d_multi_in: ejemplo del curso (2 canales de entrada)",
                   en="corr2d_multi_in: the course's example (2 input channels)")
def test_multi_in_course(student, lang):
    check_multi_in(student, lang, COURSE_X, COURSE_K)


@pytest.mark.points(4)
@pytest.mark.title(es="corr2d_multi_in: entradas aleatorias (1 a 5 canales, no cuadradas)",
                   en="corr2d_multi_in: random inputs (1 to 5 channels, non-square)")
def test_multi_in_random(student, lang):
    g = generator(301)
    for i, (c, h, w, kh, kw) in enumerate([(3, 5, 7, 2, 3), (1, 6, 4, 3, 3), (5, 4, 6, 1, 1),
                                           (2, 7, 5, 7, 2), (4, 9, 8, 3, 2)]):
        dtype = torch.float64 if i % 2 else torch.float32
        check_multi_in(student, lang, randn(g, c, h, w, dtype=dtype), randn(g, c, kh, kw, dtype=dtype))


# --------------------------------------------------------------------------------------------

def check_multi_in_out(student, lang, X, K):
    got = student.function("corr2d_multi_in_out", X, K, guard=True,
                           isolate=("corr2d", "corr2d_multi_in"), ctx=ctx({"X": X, "K": K}))
    expected = conv(X, K)
    alts = [("stack_axis", expected.permute(1, 2, 0)), ("stack_axis", expected.permute(1, 0, 2)),
            ("channels_not_summed", torch.stack([per_channel(X, k) for k in K]))]
    check_tensor(lang, "corr2d_multi_in_out(X, K)", got, expected, inputs={"X": X, "K": K},
                 alternatives=alts, off_by_one=True)


@pytest.mark.points(2)
@pytest.mark.title(es="corr2d_multi_in_out: ejemplo del curso (K, K+1, K+2: 3 canales de salida)",
                   en="corr2d_multi_in_out: the course's example (K, K+1, K+2: 3 output channels)")
def test_multi_in_out_course(student, lang):
    check_multi_in_out(student, lang, COURSE_X, COURSE_K3)


@pytest.mark.points(4)
@pytest.mark.title(es="corr2d_multi_in_out: entradas aleatorias (varios canales de entrada y salida)",
                   en="corr2d_multi_in_out: random inputs (several input and output channels)")
def test_multi_in_out_random(student, lang):
    g = generator(302)
    for i, (co, ci, h, w, kh, kw) in enumerate([(2, 3, 5, 6, 2, 3), (4, 1, 6, 5, 3, 2),
                                                (1, 2, 4, 4, 1, 1), (3, 3, 7, 5, 2, 2)]):
        dtype = torch.float64 if i % 2 else torch.float32
        check_multi_in_out(student, lang, randn(g, ci, h, w, dtype=dtype),
                           randn(g, co, ci, kh, kw, dtype=dtype))


# --------------------------------------------------------------------------------------------

def run_1x1(student, lang, X, K, count=False, timeout=10):
    return student.function("corr2d_multi_in_out_1x1", X, K, guard=True, count=count,
                            full=True, timeout=timeout, ctx=ctx({"X": X, "K": K}))


@pytest.mark.points(4)
@pytest.mark.title(es="corr2d_multi_in_out_1x1: igual a la convolución 1x1 de PyTorch",
                   en="corr2d_multi_in_out_1x1: equals PyTorch's 1x1 convolution")
def test_1x1_values(student, lang):
    g = generator(303)
    for i, (co, ci, h, w) in enumerate([(2, 3, 3, 3), (4, 3, 5, 7), (1, 5, 6, 2), (3, 1, 4, 4),
                                        (6, 4, 64, 80)]):
        dtype = torch.float64 if i % 2 else torch.float32
        X, K = randn(g, ci, h, w, dtype=dtype), randn(g, co, ci, 1, 1, dtype=dtype)
        got = run_1x1(student, lang, X, K)["value"]
        expected = conv(X, K)
        mixed = (K.double().reshape(ci, co).T @ X.double().reshape(ci, h * w)).reshape(co, h, w) \
            if ci != co else None
        alts = [("kernel_axes_mixed", mixed), ("stack_axis", expected.permute(1, 2, 0))]
        check_tensor(lang, "corr2d_multi_in_out_1x1(X, K)", got, expected,
                     inputs={"X": X, "K": K}, alternatives=alts)


@pytest.mark.points(4)
@pytest.mark.title(es="corr2d_multi_in_out_1x1: un único producto de matrices, sin recorrer píxeles",
                   en="corr2d_multi_in_out_1x1: a single matrix product, no per-pixel loop")
def test_1x1_single_product(student, lang):
    g = generator(304)
    small = run_1x1(student, lang, randn(g, 3, 4, 5), randn(g, 2, 3, 1, 1), count=True)
    big = run_1x1(student, lang, randn(g, 3, 24, 30), randn(g, 2, 3, 1, 1), count=True)
    d_ops = (big["ops"] or 0) - (small["ops"] or 0)
    d_lines = (big["lines"] or 0) - (small["lines"] or 0)
    # 20 vs 720 pixels: a vectorised function does the same work; a loop over pixels (or rows)
    # does hundreds more tensor operations or Python steps.
    if d_ops > 40 or d_lines > 40:
        fail(lang,
             f"Con una entrada de 4x5 píxeles tu función hizo {small['ops']} operaciones de "
             f"tensores y ejecutó {small['lines']} líneas de Python; con 24x30 píxeles, "
             f"{big['ops']} operaciones y {big['lines']} líneas. El trabajo crece con el número "
             f"de píxeles.",
             f"With a 4x5-pixel input your function did {small['ops']} tensor operations and ran "
             f"{small['lines']} Python lines; with 24x30 pixels, {big['ops']} operations and "
             f"{big['lines']} lines. The work grows with the number of pixels.", "per_pixel_loop")
    # and a large image comes back quickly and right
    X, K = randn(g, 8, 256, 320), randn(g, 16, 8, 1, 1)
    got = run_1x1(student, lang, X, K, timeout=15)["value"]
    check_tensor(lang, "corr2d_multi_in_out_1x1(X, K)", got, conv(X, K), inputs={"X": X, "K": K},
                 rtol=1e-5, atol=1e-4)
