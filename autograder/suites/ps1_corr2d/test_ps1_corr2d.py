"""Hidden suite of ps1_corr2d: corr2d (10), conv2d_strict (4), learn_kernel (6).

Calls stay within the contract (COURSE.md): learn_kernel always gets num_iters >= 1."""
import pytest
import torch
import torch.nn.functional as F

from autograder.suites import Call, diagnosis, generator, graded, rand, randn, random_pairs
from autograder.text.feedback import close, fmt_shape, fmt_tensor
from autograder.text.i18n import N_

pytestmark = pytest.mark.assignment("ps1_corr2d")

COURSE_X = torch.arange(9.0).reshape(3, 3)
COURSE_K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])


def xcorr(X, K):
    """Trusted cross-correlation in float64 (PyTorch's conv2d is a cross-correlation)."""
    return F.conv2d(X.double()[None, None], K.double()[None, None])[0, 0]


def edge_example():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X, xcorr(X, torch.tensor([[1.0, -1.0]])).float()


def corr_alternatives(X, K, expected):
    alts = [("flipped_kernel", xcorr(X, K.flip(0, 1))),
            ("flipped_one_axis", xcorr(X, K.flip(0))), ("flipped_one_axis", xcorr(X, K.flip(1))),
            ("transposed", expected.T)]
    if K.shape[1] <= X.shape[0] and K.shape[0] <= X.shape[1]:
        alts.append(("kernel_transposed", xcorr(X, K.T)))
    return alts


def check_corr2d(student, say, X, K):
    call = Call("corr2d", {"X": X, "K": K})
    got = student.run(call, guard=True)
    expected = xcorr(X, K)
    say.check_tensor(call, got, expected, alternatives=corr_alternatives(X, K, expected),
                     off_by_one=True)


@graded("corr2d", points=2, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
def test_corr2d_course_example(student, say):
    check_corr2d(student, say, COURSE_X, COURSE_K)


@graded("corr2d", points=2, title=N_("detector de bordes verticales con K = [[1, -1]]"))
def test_corr2d_edge_detector(student, say):
    X, _ = edge_example()
    K = torch.tensor([[1.0, -1.0]])
    check_corr2d(student, say, X, K)
    check_corr2d(student, say, X.t().contiguous(), K)


@graded("corr2d", points=4, title=N_("entradas aleatorias no cuadradas (float32 y float64)"))
def test_corr2d_random(student, say):
    shapes = [((5, 7), (2, 3)), ((7, 5), (3, 2)), ((8, 6), (2, 2)), ((6, 9), (3, 1)),
              ((10, 12), (4, 3))]
    for X, K in random_pairs(101, shapes):
        check_corr2d(student, say, X, K)


@graded("corr2d", points=2,
        title=N_("kernel 1x1, kernel tan grande como X y una entrada grande"))
def test_corr2d_edge_cases(student, say):
    g = generator(102)
    cases = [(4, 6, 1, 1), (4, 6, 4, 6), (5, 3, 5, 1), (1, 7, 1, 3), (28, 36, 5, 4)]
    for h, w, kh, kw in cases:
        check_corr2d(student, say, randn(g, h, w), randn(g, kh, kw))


# --------------------------------------------------------------------------------------------

def check_strict(student, say, X, K):
    call = Call("conv2d_strict", {"X": X, "K": K})
    got = student.run(call, isolate=("corr2d",))
    expected = xcorr(X, K.flip(0, 1))
    alts = [("not_flipped", xcorr(X, K)), ("flipped_one_axis", xcorr(X, K.flip(0))),
            ("flipped_one_axis", xcorr(X, K.flip(1))), ("transposed", expected.T)]
    say.check_tensor(call, got, expected, alternatives=alts, off_by_one=True)


@graded("conv2d_strict", points=1,
        title=N_("ejemplo del curso (kernel volteado en ambos ejes)"))
def test_conv2d_strict_course_example(student, say):
    check_strict(student, say, COURSE_X, COURSE_K)


@graded("conv2d_strict", points=3, title=N_("entradas y kernels aleatorios no cuadrados"))
def test_conv2d_strict_random(student, say):
    for X, K in random_pairs(103, [((5, 6), (2, 3)), ((6, 4), (3, 2)), ((4, 4), (1, 1)),
                                   ((7, 9), (3, 3))]):
        check_strict(student, say, X, K)


# --------------------------------------------------------------------------------------------

def simulate_sgd(K0, X, Y, lr, n, variant="exact"):
    """Manual gradient descent on the summed squared error, in float64 (trusted)."""
    K = K0.double().clone()
    acc = torch.zeros_like(K)
    for _ in range(n):
        k = K.clone().requires_grad_()
        err = (F.conv2d(X.double()[None, None], k[None, None])[0, 0] - Y.double()) ** 2
        loss = err.mean() if variant == "mean_loss" else err.sum()
        (grad,) = torch.autograd.grad(loss, k)
        if variant == "no_zero_grad_manual":
            acc = acc + grad
            grad = acc
        K = K + lr * grad if variant == "gradient_ascent" else K - lr * grad
    return K


def learned(student, say, X, Y, kernel_size, lr=None, num_iters=None, seed=0):
    """The student's learn_kernel(X, Y, kernel_size[, lr=..][, num_iters=..]) after
    torch.manual_seed(seed) (None: the argument is left to its default), checked to be a finite
    floating tensor of the kernel's shape; returns (kernel, call)."""
    kwargs = {k: v for k, v in (("lr", lr), ("num_iters", num_iters)) if v is not None}
    call = Call("learn_kernel", {"X": X, "Y": Y, "kernel_size": kernel_size}, **kwargs)
    out = student.run(call, seed=seed, isolate=("corr2d",), timeout=20)
    if not isinstance(out, torch.Tensor):
        say.wrong("{call} tiene que devolver un tensor, pero devolvió {got}.", call=call,
                  got=fmt_tensor(out))
    if tuple(out.shape) != tuple(kernel_size):
        say.wrong("{call} devolvió un tensor de forma {got}; se esperaba la forma del kernel, "
                  "{expected} (usa reshape para quitar los ejes de canales de nn.Conv2d).",
                  call=call, got=fmt_shape(out.shape), expected=fmt_shape(kernel_size))
    if not out.is_floating_point() or not torch.isfinite(out).all():
        say.wrong("{call} devolvió {got}: se esperaban números finitos.", call=call,
                  got=fmt_tensor(out))
    return out, call


@graded("learn_kernel", points=3, title=N_("aprende [[1, -1]] en el ejemplo de los bordes"))
def test_learn_kernel_converges(student, say):
    X, Y = edge_example()
    target = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
    for seed in (0, 1):
        K, call = learned(student, say, X, Y, (1, 2), 3e-2, 50, seed)
        if not torch.allclose(K.double(), target, atol=0.02):
            say.wrong("Con X = ones(6, 8) con las columnas 2..5 en 0 e Y = corr2d(X, [[1, -1]]), "
                      "{call} devolvió {got}; se esperaba un kernel cercano a [[1, -1]] (a menos "
                      "de 0.02).", call=call, got=fmt_tensor(K))


def lr_ignored(student, say, X, Y, ks, seed):
    """Diagnostic, run only after a failed check: with lr=0 the kernel must not move between one
    step and two (num_iters >= 1: a lazy layer has no weights before its first step)."""
    one, _ = learned(student, say, X, Y, ks, 0.0, 1, seed)
    two, _ = learned(student, say, X, Y, ks, 0.0, 2, seed)
    return None if torch.allclose(one.double(), two.double(), atol=1e-6) else "lr_ignored"


def check_steps(student, say, X, Y, ks, seed, got, call, K0, expected, alternatives):
    """The learned kernel against the simulated descent (a failure names the initial kernel)."""
    with diagnosis(say, lambda: lr_ignored(student, say, X, Y, ks, seed)):
        say.check_tensor(call, got, expected, inputs={"K0 (lr=0)": K0}, alternatives=alternatives,
                         rtol=1e-4, atol=1e-5)


def start_kernel(student, say, X, Y, ks, n, seed):
    """The student's start kernel (lr=0 after seeding every generator the worker can), or None
    when two such calls disagree (a generator nobody can seed, e.g. an unseeded default_rng)."""
    K0, _ = learned(student, say, X, Y, ks, 0.0, n, seed)
    again, _ = learned(student, say, X, Y, ks, 0.0, n, seed)
    return K0 if close(K0, again, rtol=0, atol=0) else None


def orthogonal_design(scale, rows=3):
    """X whose 1x2 windows are orthogonal with equal norms (AᵀA = 4·rows·scale²·I): one step of
    w <- w - lr·grad with lr = 1 / (8·rows·scale²) lands on the least-squares kernel from ANY
    start, and stays there; a wrong gradient, a mean loss or an ascent do not."""
    return torch.tensor([[1.0, 1.0, -1.0, -1.0, 1.0]] * rows) * scale


def least_squares_kernel(X, Y):
    windows = X.double().unfold(1, 2, 1).reshape(-1, 2)
    return torch.linalg.lstsq(windows, Y.double().reshape(-1, 1)).solution.reshape(1, 2)


def check_descent_from_any_start(student, say, scale, seed, lr, iters):
    """The descent judged without knowing the start (COURSE.md): on an orthogonal design the
    right step size lands on the least-squares kernel whatever the start was. lr or an entry of
    iters None: the argument is left to its default."""
    g = generator(106)
    X = orthogonal_design(scale)
    Y = randn(g, 3, 4)
    expected = least_squares_kernel(X, Y)
    for n in iters:
        got, call = learned(student, say, X, Y, (1, 2), lr, n, seed)
        say.check_tensor(call, got, expected, rtol=1e-4, atol=1e-5)


@graded("learn_kernel", points=2,
        title=N_("cada paso es w <- w - lr * gradiente de la suma de errores al cuadrado"))
def test_learn_kernel_exact_steps(student, say):
    g = generator(104)
    cases = [((1, 2), rand(g, 5, 6), 0.01, 3), ((2, 3), rand(g, 6, 7), 0.004, 4)]
    for seed, (ks, X, lr, n) in enumerate(cases, start=10):
        Y = randn(g, X.shape[0] - ks[0] + 1, X.shape[1] - ks[1] + 1)
        K0 = start_kernel(student, say, X, Y, ks, n, seed)      # lr=0: the initial kernel
        if K0 is None:
            check_descent_from_any_start(student, say, 1.0, seed, lr=1.0 / 24, iters=(1, 3))
            return
        got, call = learned(student, say, X, Y, ks, lr, n, seed)
        alts = [(v, simulate_sgd(K0, X, Y, lr, n, v))
                for v in ("mean_loss", "no_zero_grad_manual", "gradient_ascent")]
        alts += [("iters_ignored", simulate_sgd(K0, X, Y, lr, 10)),
                 ("iters_ignored", simulate_sgd(K0, X, Y, lr, 1))]
        check_steps(student, say, X, Y, ks, seed, got, call, K0, simulate_sgd(K0, X, Y, lr, n), alts)


DEFAULT_LR, DEFAULT_ITERS = 3e-2, 10  # COURSE.md: part of learn_kernel's contract


@graded("learn_kernel", points=1, title=N_("valores por defecto lr=3e-2 y num_iters=10"))
def test_learn_kernel_defaults(student, say):
    g = generator(105)
    X_edge, Y_edge = edge_example()
    X = rand(g, 5, 6) * 0.5
    cases = [((1, 2), X_edge, Y_edge), ((2, 2), X, randn(g, 4, 5))]
    for seed, (ks, X, Y) in enumerate(cases, start=20):
        K0 = start_kernel(student, say, X, Y, ks, DEFAULT_ITERS, seed)  # the initial kernel
        if K0 is None:  # the default lr must land on the least-squares kernel of this design
            check_descent_from_any_start(student, say, (1.0 / (24 * DEFAULT_LR)) ** 0.5, seed,
                                         lr=None, iters=(None,))
            return
        got, call = learned(student, say, X, Y, ks, seed=seed)
        expected = simulate_sgd(K0, X, Y, DEFAULT_LR, DEFAULT_ITERS)
        alts = []
        if not close(got, expected, rtol=1e-4, atol=1e-5):  # only then: which defaults it used
            alts = [("defaults_changed", simulate_sgd(K0, X, Y, DEFAULT_LR, n))
                    for n in (1, 5, 9, 11, 20, 50, 100)]
            alts += [("defaults_changed", simulate_sgd(K0, X, Y, lr, DEFAULT_ITERS))
                     for lr in (1e-3, 3e-3, 1e-2, 2e-2, 4e-2, 6e-2, 0.1, 0.3)]
        check_steps(student, say, X, Y, ks, seed, got, call, K0, expected, alts)
