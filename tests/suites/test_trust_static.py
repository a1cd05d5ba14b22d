"""The trusted-side "implement it yourself" rule (assignments/cursocnn/implementation_check.py)
and its integration in the hidden suites (autograder/suites/student.py, implementation_rule.py):

- the analyzer: every valid corpus is clean, every construct of the cheat catalogue is found;
- end to end: each cheat of tests/corpus/cheats/static/ loses exactly what it faked, keeps the
  rest, is flagged for review and never produces a grader error.
"""
import re
import tempfile
import time
from pathlib import Path

import pytest
import torch

from autograder.grading import engine, scoring
from autograder.intake.submission import load_submission
from autograder.suites import student as student_module
from autograder.suites.replies import REPLY_SHAPES
from autograder.text.feedback import misconception_text
from cursocnn import implementation_check as rule
from cursocnn import selfcheck

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
CHEATS = sorted((CORPUS / "cheats" / "static").glob("*.py"))


def _fields(path):
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    return dict(re.findall(r"^(\w+): (.+)$", doc, re.M))


def _cells(path):
    sub = load_submission(str(path))
    assert sub.fatal is None, sub.fatal
    return sub.cells


def _defined_guarded(analysis):
    return [n for n in rule.GUARDED if any(n in u.binds for u in analysis.units)]


# --------------------------------------------------------------------------- the guarded list

def test_guarded_list_is_what_the_suites_guard(monkeypatch):
    """The names the suites ask the static rule about (running them on the reference) are the
    rule's GUARDED list."""
    from autograder.mutation import trusted_run

    asked = set()
    check = student_module.Student.check_implementation
    monkeypatch.setattr(student_module.Student, "check_implementation",
                        lambda self, name, isolate=(): asked.add(name) or check(self, name, isolate))
    with trusted_run.one_thread():
        for assignment in ("ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"):
            source = (ROOT / "reference" / f"{assignment}.py").read_text(encoding="utf-8")
            results = trusted_run.run_suite(source, assignment)
            assert all(entry["passed"] for entry in results.values()), assignment
    assert asked == set(rule.GUARDED)


def test_the_kits_guarded_list_is_generated_from_the_declarations():
    """GUARDED is the declarations' guarded=True objects, in course order, and the kit's copy
    (cursocnn/allowlist.py's GENERATED block) is current."""
    from autograder.cli import kit_copies
    from autograder.grading import registry

    assert rule.GUARDED == registry.guarded()
    assert (ROOT / "assignments" / "cursocnn" / "allowlist.py").read_text(encoding="utf-8") == \
        kit_copies.allowlist_text(), "run python -m autograder.cli.kit_copies"


# --------------------------------------------------------------------------- valid code is clean

def _valid_files():
    files = list((ROOT / "reference").glob("ps*.py"))
    files += list((CORPUS / "alternatives").rglob("*.py"))
    files += [p for p in (CORPUS / "mutants").rglob("*.py") if _fields(p).get("misconception") != "forbidden"]
    files += [p for p in (ROOT / "examples").rglob("*") if p.suffix in (".py", ".ipynb")]
    files += list((ROOT / "assignments" / "source").glob("*/*.ipynb"))
    return sorted(files)


def test_valid_corpora_are_clean():
    checked = 0
    for path in _valid_files():
        analysis = rule.Analysis(_cells(path))
        assert analysis.load_findings() == [], path
        for name in _defined_guarded(analysis):
            verdict = analysis.verdict(name)
            assert verdict.ok, (path, name, verdict.findings)
            checked += 1
    assert checked >= 40  # the corpora really define the guarded functions


def test_forbidden_mutants_are_flagged():
    mutants = [p for p in (CORPUS / "mutants").rglob("*.py") if _fields(p).get("misconception") == "forbidden"]
    assert mutants
    for path in mutants:
        verdict = rule.Analysis(_cells(path)).verdict(_fields(path)["target"])
        assert verdict.kind == "forbidden", (path, verdict.findings)


# --------------------------------------------------------------------------- constructs

HEAD = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\nimport sys\n"

CONSTRUCTS = [
    # (case, body of corr2d, expected kind, text the first finding shows)
    ("c_nn", "return torch._C._nn.im2col(X, K, 1, 0, 1)", "forbidden", "torch._C._nn.im2col"),
    ("aten", "return torch.ops.aten.convolution(X, K)", "forbidden", "torch.ops.aten.convolution"),
    ("aten_other_op", "return torch.ops.aten.mul(X, K)", "unverifiable", "torch.ops.aten.mul"),
    ("variable_functions", "return torch._C._VariableFunctions.conv2d(X, K)", "forbidden",
     "torch._C._VariableFunctions.conv2d"),
    ("nn_grad", "return torch.nn.grad.conv2d_input(X.shape, K, X)", "forbidden", "torch.nn.grad"),
    ("refs", "return torch._refs.mul(X, K)", "unverifiable", "torch._refs"),
    ("decomp", "return torch._decomp.decompositions.im2col(X)", "forbidden", "im2col"),
    ("F_unfold", "return F.unfold(X, K.shape)", "forbidden", "torch.nn.functional.unfold"),
    ("nn_Unfold", "return nn.Unfold(K.shape)(X)", "forbidden", "torch.nn.Unfold"),
    ("max_pool", "return F.max_pool2d(X, K)", "forbidden", "torch.nn.functional.max_pool2d"),
    ("conv_module", "return nn.Conv2d(1, 1, 3)(X)", "forbidden", "torch.nn.Conv2d"),
    ("scipy", "import scipy.signal\n    return scipy.signal.correlate2d(X, K, 'valid')", "forbidden",
     "scipy.signal.correlate2d"),
    ("local_alias", "g = torch.nn.functional\n    return g.fold(X, K)", "forbidden", "torch.nn.functional.fold"),
    ("local_import", "from torch.nn.functional import conv2d as c\n    return c(X, K)", "forbidden",
     "torch.nn.functional.conv2d"),
    ("getattr", "return getattr(F, 'con' + 'v2d')(X, K)", "unverifiable", "getattr"),
    ("getattr_literal", "return getattr(F, 'conv2d')(X, K)", "forbidden", "F.conv2d"),
    ("getattr_value", "import functools\n    return functools.reduce(getattr, ['pad'], F)(X, (1, 1))",
     "unverifiable", "getattr"),
    ("pydoc", "import pydoc\n    return pydoc.locate('torch.nn.functional.conv2d')(X, K)", "unverifiable",
     "pydoc.locate"),
    ("pkgutil", "import pkgutil\n    return pkgutil.resolve_name('torch.nn.functional:conv2d')(X, K)",
     "unverifiable", "pkgutil.resolve_name"),
    ("cprofile", "import cProfile\n    ns = {}\n    cProfile.runctx('r = X', {'X': X}, ns)\n    return ns['r']",
     "unverifiable", "cProfile.runctx"),
    ("timeit", "import timeit\n    return timeit.Timer('X', globals={'X': X}).timeit(1)", "unverifiable",
     "timeit.Timer"),
    ("numpy_correlate", "import numpy as np\n    return np.correlate(X[0].numpy(), K[0].numpy())",
     "forbidden", "np.correlate"),
    ("module_as_value", "return sum([F])", "unverifiable", "F"),
    ("unlisted_torch", "return torch.fft.rfft2(X)", "forbidden", "torch.fft"),
    ("unlisted_library", "return torch.optim.SGD([X], lr=0.1)", "unverifiable", "torch.optim.SGD"),
    ("unknown_attribute", "return X.__class__", "unverifiable", "__class__"),
    ("dunder_import", "return __import__('torch').nn.functional.pad(X, (1, 1))", "unverifiable", "__import__"),
    ("importlib", "import importlib\n    return importlib.import_module('torch').add(X, 1)", "unverifiable",
     "importlib"),
    ("eval", "return eval('X')", "unverifiable", "eval"),
    ("globals", "return globals()['helper'](X, K)", "unverifiable", "globals"),
    ("vars", "return vars(F)['pad'](X, (1, 1))", "unverifiable", "vars"),
    ("dunder_dict", "return F.__dict__['pad'](X, (1, 1))", "unverifiable", "F.__dict__"),
    ("sys_modules", "return sys.modules['torch'].add(X, 1)", "unverifiable", "sys.modules"),
    ("attrgetter", "import operator\n    return operator.attrgetter('add')(torch)(X, 1)", "unverifiable",
     "operator.attrgetter"),
    ("settrace", "sys.settrace(None)\n    return X", "unverifiable", "sys.settrace"),
    ("disable_tf", "with torch._C.DisableTorchFunction():\n        return X + K", "unverifiable",
     "torch._C.DisableTorchFunction"),
    ("overrides", "return torch.overrides.has_torch_function((X,))", "unverifiable", "torch.overrides"),
    ("jit", "return torch.jit.script(lambda a: a)(X)", "unverifiable", "torch.jit"),
    ("ctypes", "import ctypes\n    return ctypes.pythonapi", "unverifiable", "ctypes"),
    ("monkeypatch_in_body", "torch.matmul = lambda a, b: a\n    return X", "unverifiable", "torch.matmul = ..."),
    ("subclasses", "return X.__class__.__mro__", "unverifiable", "__mro__"),
    ("torchvision", "import torchvision\n    return torchvision.ops.deform_conv2d(X, K, K)", "forbidden",
     "torchvision.ops.deform_conv2d"),
    ("proc_fd", "return torch.save(X, '/proc/self/fd/4')", "unverifiable", "torch.save"),
    ("tofile", "X.numpy().tofile(K)\n    return X", "unverifiable", "tofile"),
]


@pytest.mark.parametrize("case,body,kind,shown", CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_each_construct_is_found(case, body, kind, shown):
    source = HEAD + "\n\ndef corr2d(X, K):\n    " + body + "\n"
    verdict = rule.check([["celda 3", source]], "corr2d")
    assert verdict.kind == kind, verdict.findings
    assert shown in verdict.first.construct, verdict.first
    assert verdict.first.label == "celda 3" and verdict.first.line >= 7


def test_star_imports_are_resolved():
    verdict = rule.check([["c", "from torch.nn.functional import *\ndef pool2d(X, s, mode='max'):\n"
                                "    return max_pool2d(X[None], s)[0]\n"]], "pool2d")
    assert verdict.first.construct == "max_pool2d` (= `torch.nn.functional.max_pool2d"


def test_in_worker_guard_failures_are_flagged_for_review():
    from autograder.sandbox import StudentError
    from autograder.text.feedback import Feedback

    class GuardedSession:  # the worker's guard caught a forbidden call the static rule let by
        defined, load_notes = {"corr2d"}, []

        def call(self, probe, *args, **kwargs):
            raise StudentError("ForbiddenBuiltinError", "torch.conv2d is not allowed here", "")

    for lang, text in (("es", "corr2d usa torch.conv2d."), ("en", "corr2d uses torch.conv2d.")):
        student = student_module.Student("<none>", "ps1_corr2d", lang)
        student._loaded, student._session = True, GuardedSession()
        with pytest.raises(Feedback) as info:
            student.function("corr2d", torch.ones(2, 2), torch.ones(1, 1))
        assert info.value.review == {"object": "corr2d", "kind": "forbidden",
                                     "construct": "torch.conv2d", "where": "worker guard"}
        assert info.value.misconception == "forbidden"
        assert info.value.message.startswith(text)
        assert misconception_text("forbidden", lang) in info.value.message


def test_counter_evasion_is_marked():
    for body in ("sys.settrace(None)\n    return X", "with torch._C.DisableTorchFunction():\n        return X",
                 "sys.setprofile(None)\n    return X"):
        verdict = rule.check([["c", HEAD + "def corr2d_multi_in_out_1x1(X, K):\n    " + body + "\n"]],
                             "corr2d_multi_in_out_1x1")
        assert verdict.first.counter, verdict.findings
    src = HEAD + "class Mode:\n    def __torch_function__(self, f, t, a=(), k=None):\n        return f(*a)\n" \
                 "def corr2d_multi_in_out_1x1(X, K):\n    with Mode():\n        return X\n"
    verdict = rule.check([["c", src]], "corr2d_multi_in_out_1x1")
    assert verdict.kind == "unverifiable" and verdict.first.counter


def test_indirect_routes_to_a_forbidden_function():
    cases = {
        "default argument": "def corr2d(X, K, _c=F.conv2d):\n    return _c(X, K)\n",
        "module-level alias": "_c = torch.conv2d\ndef corr2d(X, K):\n    return _c(X, K)\n",
        "aliased import": "from torch import conv2d as _c\ndef corr2d(X, K):\n    return _c(X, K)\n",
        "module alias": "nnf = torch.nn.functional\ndef corr2d(X, K):\n    return nnf.conv2d(X, K)\n",
        "star import": "from torch.nn.functional import *\ndef corr2d(X, K):\n    return unfold(X, K)\n",
        "helper": "def h(X, K):\n    return torch.conv2d(X, K)\ndef corr2d(X, K):\n    return h(X, K)\n",
        "decorator": "def deco(f):\n    return lambda X, K: F.conv2d(X, K)\n@deco\ndef corr2d(X, K):\n    return X\n",
        "function attribute": "def corr2d(X, K):\n    return corr2d.impl(X, K)\ncorr2d.impl = torch.conv2d\n",
        "filled at load by a call": "H = {}\ndef corr2d(X, K):\n    return H['f'](X, K)\n"
                                    "def setup():\n    H['f'] = torch.conv2d\n_ = setup()\n",
        "global set elsewhere": "def setup():\n    global hh\n    hh = torch.conv2d\n"
                                "def corr2d(X, K):\n    return hh(X, K)\n",
        "bound by name": "corr2d = torch.conv2d\n",
        "class instance": "class C:\n    def __call__(self, X, K):\n        return F.conv2d(X, K)\ncorr2d = C()\n",
        "redefined later": "def corr2d(X, K):\n    return X\n\ndef corr2d(X, K):\n    return F.conv2d(X, K)\n",
    }
    for what, src in cases.items():
        verdict = rule.check([["c", HEAD + src]], "corr2d")
        assert verdict.kind == "forbidden", (what, verdict.findings)


def test_load_time_tampering_taints_every_guarded_object():
    clean = "def corr2d(X, K):\n    return X\ndef pool2d(X, s, mode='max'):\n    return X\n"
    for tamper in ("torch.allclose = lambda *a, **k: True\n",
                   "sys.modules['agworker.probes'].forbid_builtins = None\n",
                   "_ = setattr(F, 'conv2d', None)\n",
                   "def _patch():\n    sys.settrace(None)\n_x = _patch()\n",
                   "try:\n    import importlib\nexcept ImportError:\n    pass\n"):
        analysis = rule.Analysis([["celda 1", HEAD + tamper], ["celda 2", clean]])
        for name in ("corr2d", "pool2d"):
            verdict = analysis.verdict(name)
            assert verdict.kind == "unverifiable" and verdict.first.at_load, (tamper, verdict.findings)
            assert "todas las funciones" in verdict.message("es")


def test_code_that_does_not_run_at_load_does_not_taint():
    # a demo cell (definitions only: its assignments and loops never run) and a .py self-test
    demo = "conv = nn.Conv2d(1, 1, 3)\ntorch.allclose = None\nfor i in range(3):\n    sys.settrace(None)\n"
    solution = "def corr2d(X, K):\n    return (X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1) * K).sum((-1, -2))\n"
    selftest = ("X = torch.ones(4, 4)\nK = torch.ones(2, 2)\n"
                "ok = torch.allclose(corr2d(X, K), F.conv2d(X[None, None], K[None, None])[0, 0])\n")
    analysis = rule.Analysis([["celda 1", HEAD], ["celda 2", solution], ["celda 3", demo, "definitions"],
                              ["celda 4", selftest]])
    assert analysis.verdict("corr2d").ok, analysis.verdict("corr2d").findings
    # unused forbidden names and demo functions are not the graded function's business
    analysis = rule.Analysis([["c", HEAD + "def demo():\n    return nn.MaxPool2d(2)\n" + solution]])
    assert analysis.verdict("corr2d").ok


def test_isolated_helpers_are_not_followed():
    src = HEAD + ("def corr2d(X, K):\n    return F.conv2d(X, K)\n"
                  "def corr2d_multi_in(X, K):\n    return sum(corr2d(x, k) for x, k in zip(X, K))\n")
    analysis = rule.Analysis([["c", src]])
    assert analysis.verdict("corr2d_multi_in", isolate=("corr2d",)).ok
    assert analysis.verdict("corr2d_multi_in").kind == "forbidden"
    # a captured helper is not replaced by the grader: it is still followed
    captured = src + "def corr2d_multi_in_out(X, K, _h=corr2d):\n    return _h(X, K)\n"
    assert rule.Analysis([["c", captured]]).verdict("corr2d_multi_in_out", isolate=("corr2d",)).kind == "forbidden"


def test_messages_name_construct_and_line():
    verdict = rule.check([["celda 3", HEAD + "\ndef corr2d(X, K):\n    return torch._C._nn.im2col(X)\n"]], "corr2d")
    assert verdict.message("es").startswith("corr2d usa `torch._C._nn.im2col` (línea 7 de celda 3)")
    assert verdict.message("en").startswith("corr2d uses `torch._C._nn.im2col` (line 7 of celda 3)")
    verdict = rule.check([["celda 3", HEAD + "def corr2d(X, K):\n    return getattr(F, X.name)(X)\n"]], "corr2d")
    message = verdict.message("es")
    assert "No podemos verificar que corr2d" in message and "`getattr(F, X.name)`" in message


def test_cheat_catalogue_statically():
    assert len(CHEATS) >= 10
    for path in CHEATS:
        f = _fields(path)
        analysis = rule.Analysis(_cells(path))
        if f["expect"] == "tampered":
            assert analysis.tamper_findings(), path
            continue
        verdict = analysis.verdict(f["target"])
        assert verdict.kind == f["expect"], (path, verdict.findings)
        assert any(f["construct"] in x.construct for x in verdict.findings), (path, verdict.findings)
        for other in _defined_guarded(analysis):
            if other != f["target"] and not verdict.first.at_load and not any(x.at_load for x in verdict.findings):
                assert analysis.verdict(other).ok, (path, other)


# --------------------------------------------------------------------------- forged replies

def test_reply_shapes_refuse_forged_data():
    import torch

    good = {"value": torch.zeros(2), "type": "torch.Tensor", "forbidden": [], "ops": 3, "lines": None}
    assert REPLY_SHAPES["call_student"](good)
    for bad in ({"value": 1}, {**good, "ops": "muchas"}, {**good, "forbidden": "no"}, [good], None,
                {**good, "lines": True}):
        assert not REPLY_SHAPES["call_student"](bad), bad
    assert not REPLY_SHAPES["conv2d_params"]({"is_module": True, "parameters": "ok"})
    assert not REPLY_SHAPES["describe_net"]({"type": "x", "is_module": True})
    assert not REPLY_SHAPES["run_loop"]({"value": 1, "type": "t", "log": [()], "weights": {},
                                                 "final_training": True})


# --------------------------------------------------------------------------- self-check

def test_selfcheck_reports_the_same_verdict():
    import json

    nb = json.loads((ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb").read_text(encoding="utf-8"))
    lines = selfcheck.implementation_lines(nb, "corr2d")
    assert len(lines) == 1 and lines[0].startswith(selfcheck.OK), lines
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and "def corr2d(" in "".join(cell["source"]):
            cell["source"] = ("import torch\n\ndef corr2d(X, K):\n"
                              "    return torch._C._nn.im2col(X[None, None], K.shape, 1, 0, 1)\n")
    lines = selfcheck.implementation_lines(nb, "corr2d")
    assert len(lines) == 1 and lines[0].startswith(selfcheck.FAIL)
    assert "corr2d usa `torch._C._nn.im2col` (línea 4 de celda" in lines[0], lines
    # the grader's own cells give the same verdict
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entrega.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        graded = rule.Analysis(_cells(path)).verdict("corr2d")
    assert graded.message("es") in lines[0]


# --------------------------------------------------------------------------- end to end

@pytest.mark.slow
@pytest.mark.parametrize("path", CHEATS, ids=[p.stem for p in CHEATS])
@pytest.mark.sandbox
def test_cheat_is_graded_as_the_students_failure(path, capsys):
    f = _fields(path)
    assignment, target = f["assignment"], f["target"]
    also_zero = {f["also_zero"].split()[0]} if "also_zero" in f else set()
    started = time.perf_counter()
    result = engine.grade(str(path), assignment)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[timing] {path.stem}: {elapsed:.1f} s")
    assert result["extra_data"]["grader_error"] is False, result
    by_object = {}
    for t in result["tests"]:
        by_object.setdefault(t["name"].split(":", 1)[0], []).append(t)
    assert set(by_object) == set(scoring.POINTS[assignment])
    key = "tampered" if f["expect"] == "tampered" else f["expect"]
    for obj, tests in by_object.items():
        score = sum(t["score"] for t in tests)
        if obj == target or obj in also_zero:
            assert score == 0, (obj, tests)
            assert all(t.get("extra_data", {}).get("review") for t in tests), tests
            if obj == target:
                text = misconception_text(key, "es")
                assert all(text in t["output"] for t in tests), tests
        else:
            assert score == scoring.POINTS[assignment][obj], (obj, [t["output"] for t in tests])
    review = result["extra_data"]["review"]
    assert review and {r["object"] for r in review} >= {target} | also_zero or key == "tampered"


def test_absurdly_nested_code_is_unverifiable_not_a_crash():
    deep = "def corr2d(X, K):\n    return " + " + ".join(["X"] * 1000) + "\n"
    verdict = rule.check([["c", deep]], "corr2d")
    assert verdict.kind == "unverifiable"


def test_report_marks_submissions_to_review():
    from autograder.grading import score_table as report

    flagged = {"score": 0, "tests": [], "extra_data": {"review": [{"object": "corr2d"}]}}
    plain = {"score": 0, "tests": [], "extra_data": {}}
    text = report.table([("a", flagged, "graded"), ("b", plain, "graded")], "ps1_corr2d")
    assert "calificada (revisar)" in text.splitlines()[2] and "revisar" not in text.splitlines()[3]


# --------------------------------------------------------------------------- the worker's second layer

def test_dispatcher_layer_covers_the_forbidden_kernels():
    """The operators the worker blocks at the dispatcher are the aten operators the static rule
    calls forbidden (its own regex mirrors allowlist.FORBIDDEN_NAME), Tensor.unfold excluded."""
    from autograder.sandboxed.worker import guard

    blocked = {op.split(".")[0] for op, _key in guard.kernel_registrations()}
    aten = {n[6:].split(".")[0] for n in torch._C._dispatch_get_all_op_names() if n.startswith("aten::")}
    assert blocked <= {n for n in aten if rule.A.FORBIDDEN_NAME.match(n)}
    assert {"conv2d", "convolution", "_convolution", "max_pool2d", "max_pool2d_with_indices",
            "avg_pool2d", "im2col", "col2im", "adaptive_avg_pool2d"} <= blocked
    assert "unfold" not in blocked and "pad" not in blocked


def test_dispatcher_layer_blocks_captured_references():
    import torch.nn.functional as F

    from autograder.sandboxed.worker import probes, values

    X, K = torch.randn(5, 5), torch.randn(2, 2)
    captured = {"f": F.conv2d}

    class Holder:
        op = staticmethod(torch.conv2d)

    routes = {
        "list": lambda X, K, _k=[F.conv2d]: _k[0](X[None, None], K[None, None])[0, 0],
        "dict": lambda X, K: captured["f"](X[None, None], K[None, None])[0, 0],
        "class attribute": lambda X, K: Holder.op(X[None, None], K[None, None])[0, 0],
        "torch._VF": lambda X, K: torch._VF.conv2d(X[None, None], K[None, None])[0, 0]
        if hasattr(torch._VF, "conv2d") else torch.ops.aten.conv2d(X[None, None], K[None, None])[0, 0],
        "torch.ops.aten": lambda X, K: torch.ops.aten.convolution(
            X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0],
        "nn.Conv2d": lambda X, K: torch.nn.Conv2d(1, 1, 2)(X[None, None])[0, 0],
        "pooling": lambda X, K: torch._C._nn.avg_pool2d(X[None], 2)[0],
        "caught": lambda X, K: _swallow(lambda: F.max_pool2d(X[None], 2)),
    }
    for what, fn in routes.items():
        with pytest.raises(values.ForbiddenBuiltinError):
            probes.call_student({"corr2d": fn}, "corr2d", (X, K), guard=["torch.nn.functional.conv2d"])
        assert what  # each route raised
    honest = {"corr2d": lambda X, K: (X.unfold(0, 2, 1).unfold(1, 2, 1) * K).sum((-1, -2))}
    got = probes.call_student(honest, "corr2d", (X, K), guard=["torch.nn.functional.conv2d"])["value"]
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]  # the kernels are back after the call
    assert torch.allclose(got, expected, atol=1e-6)


def _swallow(fn):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - the student hides the error; the worker still knows
        return torch.zeros(1)


def test_seeded_calls_seed_every_generator():
    """learn_kernel's start may come from torch, numpy's legacy global generator or `random`
    (COURSE.md): a seeded call sees the same start each time."""
    import random

    import numpy as np

    from autograder.sandboxed.worker import probes

    ns = {"start": lambda: (torch.rand(1).item(), float(np.random.rand()), random.random())}
    first = probes.call_student(ns, "start", seed=7)["value"]
    second = probes.call_student(ns, "start", seed=7)["value"]
    assert first == second
    assert probes.call_student(ns, "start", seed=8)["value"] != first


# --------------------------------------------------------------------------- scoping and bounds

def test_code_that_never_runs_is_not_judged():
    """`if __name__ == "__main__":` (in a .py and a notebook cell alike), bare expressions,
    loops and a helper's local import never make a graded object's verdict."""
    solution = ("def corr2d(X, K):\n"
                "    return (X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1) * K).sum((-1, -2))\n")
    extras = [
        "if __name__ == '__main__':\n    import torch.nn.functional as F\n    DEBUG = F.conv2d\n",
        "print(F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)))\n",
        "for i in range(2):\n    F = torch.nn.functional\n",
        "def _compare(X, K):\n    import torch.nn.functional as F\n    return F.conv2d(X, K)\n",
    ]
    for extra in extras:
        for cells in ([["entrega.py", "import torch\n" + solution + extra]],
                      [["celda 1", "import torch\n" + solution], ["celda 2", extra]]):
            verdict = rule.check(cells, "corr2d")
            assert verdict.ok, (extra, verdict.findings)


def test_students_own_names_are_followed_not_matched():
    src = ("import torch\n"
           "def max_pool2d(X, s):\n    return X.unfold(0, s[0], 1).unfold(1, s[1], 1).amax((-2, -1))\n"
           "class Pooler:\n    def im2col(self, X, s):\n        return X.unfold(0, s[0], 1).unfold(1, s[1], 1)\n"
           "    def __call__(self, X, s, mode='max'):\n"
           "        return getattr(self.im2col(X, s), 'amax' if mode == 'max' else 'mean')(dim=(-2, -1))\n"
           "pool2d = Pooler()\n"
           "def pool2d_pad_stride(X, s, mode='max', padding=0, stride=None):\n    return max_pool2d(X, s)\n")
    analysis = rule.Analysis([["c", src]])
    assert analysis.verdict("pool2d").ok and analysis.verdict("pool2d_pad_stride").ok
    # ... and followed: the student's own im2col that calls the built-in is found
    bad = src.replace("return X.unfold(0, s[0], 1).unfold(1, s[1], 1)\n    def",
                      "return torch.nn.functional.unfold(X[None], s)\n    def")
    assert rule.Analysis([["c", bad]]).verdict("pool2d").kind == "forbidden"


def test_load_time_calls_make_the_callee_load_time_code():
    src = HEAD + ("def _grab():\n    def corr2d(X, K, _f=F.conv2d):\n        return _f(X, K)\n    return corr2d\n"
                  "_real = _grab()\n"
                  "def corr2d_multi_in(X, K):\n    return sum(_real(x, k) for x, k in zip(X, K))\n"
                  "def corr2d(X, K):\n    return X\n")
    analysis = rule.Analysis([["c", src]])
    assert analysis.verdict("corr2d_multi_in", isolate=("corr2d",)).kind == "forbidden"
    assert analysis.verdict("corr2d").ok
    # a stand-in is not followed where it is looked up at call time, but is where it runs at load
    src = HEAD + ("def corr2d(X, K):\n    return F.conv2d(X, K)\n"
                  "def _setup():\n    return corr2d\n_kept = _setup()\n"
                  "def corr2d_multi_in(X, K):\n    return sum(_kept(x, k) for x, k in zip(X, K))\n")
    assert rule.Analysis([["c", src]]).verdict("corr2d_multi_in", isolate=("corr2d",)).kind == "forbidden"


def test_alias_cycles_and_fan_outs_are_bounded():
    cycle = HEAD + "a = torch\nb = a.nn\na = b\nc = d\nd = c\n" + "def corr2d(X, K):\n    return X\n"
    fanout = HEAD + "a0 = torch\n" + "".join(f"a{i} = a{i - 1}\na{i} = a{i - 1}.nn\n" for i in range(1, 40)) \
        + "def corr2d(X, K):\n    return a39\n"
    for src in (cycle, fanout):
        started = time.perf_counter()
        verdict = rule.check([["c", src]], "corr2d")
        assert time.perf_counter() - started < 5
        assert verdict.kind == "unverifiable" and verdict.first.at_load, verdict.findings
        assert len(verdict.findings) <= rule.MAX_FINDINGS


@pytest.mark.slow
def test_the_bounded_child_agrees_and_gives_up_cleanly():
    src = HEAD + "import pydoc\n_k = [pydoc.locate('torch.nn.functional.conv2d')]\n" \
                 "def corr2d(X, K):\n    return _k[0](X, K)\ndef pool2d(X, s, mode='max'):\n    return X\n"
    cells = [["entrega.py", src]]
    report, seconds = rule.analyse_bounded(cells)
    analysis = rule.Analysis(cells)
    assert report.failure is None and seconds < 10
    for name in rule.GUARDED:
        for iso in ((), ("corr2d",)):
            assert report.verdict(name, iso).findings == analysis.verdict(name, iso).findings
    assert report.tamper_findings() == analysis.tamper_findings()
    # past its time limit: every guarded object "cannot verify", with its own message
    huge = HEAD + "".join(f"def f{i}(X):\n    return f{i - 1}(X) + torch.zeros(1)\n" for i in range(1, 60000))
    report, seconds = rule.analyse_bounded([["entrega.py", huge]], seconds=1)
    assert report.failure and seconds < 5
    verdict = report.verdict("corr2d")
    assert verdict.kind == "unverifiable" and "demasiado grande o complejo" in verdict.message("es")


def test_the_allowlist_is_published_where_the_docs_say():
    from cursocnn import allowlist

    docs = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert "assignments/cursocnn/allowlist.py" in docs and "python -m cursocnn.allowlist" in docs
    assert rule.GUARDED == allowlist.GUARDED
    lines = allowlist.summary_lines()
    assert any("torch.nn.functional.pad" in line for line in lines)
    assert not any(allowlist.is_forbidden(name) for name in allowlist.ALLOWED_NAMES)
    for forbidden in ("torch.nn.functional.conv2d", "numpy.correlate", "scipy.signal.correlate2d",
                      "torch.nn.functional.unfold", "torch.nn.MaxPool2d"):
        assert allowlist.is_forbidden(forbidden) and not allowlist.name_allowed(forbidden)
