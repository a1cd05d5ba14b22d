"""The grader's stand-ins (autograder/sandboxed/worker/stand_ins.py HELPERS), substituted for a student's helper
while another function is graded, honour the whole contract of the function they replace
(COURSE.md): their result works wherever the result of any valid implementation works, because
the student wrote the calling code against their own valid implementation.

Every entry of HELPERS needs a contract check here (test_every_stand_in_has_a_contract_check).
"""
import json
import math
import statistics

import pytest
import torch
import torch.nn.functional as F

from autograder.sandboxed.worker import probes, stand_ins
from reference import ps1_corr2d, ps3_channels, ps5_lenet


def _close(a, b):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1.3e-6, atol=1e-5)


def _random_pairs(seed, channels=False):
    g = torch.Generator().manual_seed(seed)
    for i, (h, w, kh, kw) in enumerate([(3, 3, 2, 2), (5, 7, 2, 3), (4, 6, 4, 6), (6, 4, 1, 1),
                                        (1, 5, 1, 2), (8, 9, 3, 1)]):
        dtype = torch.float64 if i % 2 else torch.float32
        lead = (3,) if channels else ()
        yield (torch.randn(*lead, h, w, generator=g, dtype=dtype),
               torch.randn(*lead, kh, kw, generator=g, dtype=dtype))


def _tensor_result_contract(stand_in, valid, pairs, expected):
    """A tensor-valued helper: the values and the dtype of a valid implementation, a plain fresh
    tensor (callers write into it, view it, add parameters to it) and gradients that flow to both
    inputs (Conv2D.forward calls corr2d on its weight)."""
    for X, K in pairs:
        got, want = stand_in(X, K), valid(X, K)
        assert type(got) is torch.Tensor and _close(got, expected(X, K))
        assert got.dtype == want.dtype and got.is_contiguous()
        got.view(-1).fill_(123.0)  # writable, and shares no memory with the inputs
        assert _close(stand_in(X, K), expected(X, K))
    X, K = (t.clone().requires_grad_() for t in pairs[1])
    (stand_in(X, K) * 2).sum().backward()
    assert X.grad is not None and K.grad is not None


def check_corr2d(stand_in):
    pairs = list(_random_pairs(1))
    _tensor_result_contract(stand_in, ps1_corr2d.corr2d, pairs,
                            lambda X, K: F.conv2d(X.double()[None, None], K.double()[None, None])[0, 0])


def check_corr2d_multi_in(stand_in):
    pairs = list(_random_pairs(2, channels=True))
    _tensor_result_contract(stand_in, ps3_channels.corr2d_multi_in, pairs,
                            lambda X, K: F.conv2d(X.double()[None], K.double()[None])[0, 0])


def _tensor_accuracy(logits, y):
    """A valid accuracy in d2l's style: the fraction as a 0-d tensor."""
    return (logits.argmax(dim=1) == y).float().mean()


# What a train_epoch/evaluate may do with accuracy's result, each valid for at least one of the
# valid accuracies (a Python float, a 0-d tensor). Each returns a number.
CONSUMERS = {
    "item": lambda a: a.item(),
    "float": lambda a: float(a),
    "arithmetic": lambda a: (a * 8 + 1 - 1) / 8,
    "sum_over_batches": lambda a: sum([a, a, a]) / 3,
    "accumulate_into_tensor": lambda a: float(torch.zeros(()).add_(a)),
    "tensor_plus": lambda a: float(torch.tensor(0.0) + a),
    "cpu_item": lambda a: a.cpu().item(),
    "detach_item": lambda a: a.detach().item(),
    "to_device": lambda a: float(a.to("cpu")),
    "stack_then_mean": lambda a: torch.stack([a, a]).mean().item(),
    "tensor_of_list": lambda a: torch.tensor([a, a]).mean().item(),
    "statistics_mean": lambda a: statistics.mean([a, a]),
    "fmean": lambda a: statistics.fmean([a, a]),
    "round": lambda a: round(a, 4),
    "format": lambda a: float(f"{a:.6f}"),
    "percent_format": lambda a: float("%.6f" % a),
    "json": lambda a: json.loads(json.dumps({"acc": a}))["acc"],
    "isfinite": lambda a: float(math.isfinite(a)) * a,
    "compare": lambda a: float(a > -1) * a,
    "numpy": lambda a: float(a.numpy()) if hasattr(a, "numpy") else float(a),
}


def check_accuracy(stand_in):
    g = torch.Generator().manual_seed(3)
    valid = [ps5_lenet.accuracy, _tensor_accuracy]
    for rows, classes in [(8, 5), (5, 5), (10, 3)]:
        logits = torch.randn(rows, classes, generator=g)
        y = torch.randint(0, classes, (rows,), generator=g)
        y[: rows // 2] = logits[: rows // 2].argmax(1)
        want = float((logits.argmax(1) == y).double().mean())
        got = stand_in(logits, y)
        for name, use in CONSUMERS.items():
            works = []
            for impl in valid:
                try:
                    works.append(abs(use(impl(logits, y)) - want) < 1e-6)
                except Exception:  # noqa: BLE001 - this style is not valid for that return type
                    works.append(False)
            if any(works):
                assert abs(use(got) - want) < 1e-6, name


CONTRACTS = {"corr2d": check_corr2d, "corr2d_multi_in": check_corr2d_multi_in,
             "accuracy": check_accuracy}


def test_every_stand_in_has_a_contract_check():
    assert set(CONTRACTS) == set(stand_ins.HELPERS)


@pytest.mark.parametrize("name", sorted(stand_ins.HELPERS))
def test_stand_in_honours_its_contract(name):
    CONTRACTS[name](stand_ins.HELPERS[name])


def test_each_consumer_needs_one_of_the_valid_types():
    """The consumer list is meaningful: some uses work only with a float, some only with a tensor
    (so a stand-in of either type alone would fail one of them)."""
    logits, y = torch.eye(4), torch.arange(4)
    only = {"float": [], "tensor": []}
    for name, use in CONSUMERS.items():
        ok = {}
        for kind, impl in (("float", ps5_lenet.accuracy), ("tensor", _tensor_accuracy)):
            try:
                ok[kind] = abs(use(impl(logits, y)) - 1.0) < 1e-6
            except Exception:  # noqa: BLE001
                ok[kind] = False
        for kind in only:
            if ok[kind] and not all(ok.values()):
                only[kind].append(name)
    assert only["float"] and only["tensor"], only


COURSE_LOOP = '''
import torch

def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total_loss, total_acc = 0.0, 0.0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        y_hat = model(X)
        l = criterion(y_hat, y)
        l.backward()
        optimizer.step()
        total_loss += l.item()
        total_acc += accuracy(y_hat, y).item()
    return total_loss / len(loader), total_acc / len(loader)

def evaluate(model, loader, criterion, device):
    model.eval()
    losses, accs = [], []
    with torch.no_grad():
        for X, y in loader:
            y_hat = model(X.to(device))
            losses.append(criterion(y_hat, y.to(device)).item())
            accs.append(accuracy(y_hat, y.to(device)))
    return sum(losses) / len(losses), torch.stack(accs).mean().item()
'''


@pytest.mark.parametrize("fn", ["train_epoch", "evaluate"])
def test_course_style_loop_runs_with_the_accuracy_stand_in(fn):
    """The false fail this rule fixes: the course's loop calls .item() on accuracy's result."""
    ns = {"__name__": "__student__"}
    exec(compile(COURSE_LOOP, "<student:loop>", "exec"), ns)
    spec = [["Recorder", [], {}], ["Flatten", [], {}], ["Linear", [16, 3], {}]]
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(4, 1, 4, 4, generator=g), torch.randint(0, 3, (4,), generator=g))
               for _ in range(3)]
    got = probes.run_loop(ns, fn, spec, batches, 0.1, 0, "train")
    want = probes.run_loop(vars(ps5_lenet), fn, spec, batches, 0.1, 0, "train")
    assert got["value"][0] == pytest.approx(want["value"][0], rel=1e-6)
    assert got["value"][1] == pytest.approx(want["value"][1], rel=1e-6)
