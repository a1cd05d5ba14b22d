"""The trusted-side "implement it yourself" rule (assignments/cursocnn/implementation_check.py)
and its integration in the hidden suites (autograder/suites/plugin.py):

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

from autograder import engine, scoring
from autograder.feedback import misconception_text
from autograder.submission import load_submission
from autograder.suites import plugin
from cursocnn import implementation_check as rule
from cursocnn import selfcheck

ROOT = Path(__file__).resolve().parent.parent
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
    from autograder import trusted_run

    asked = set()
    check = plugin.Student.check_implementation
    monkeypatch.setattr(plugin.Student, "check_implementation",
                        lambda self, name, isolate=(): asked.add(name) or check(self, name, isolate))
    with trusted_run.one_thread():
        for assignment in ("ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"):
            source = (ROOT / "reference" / f"{assignment}.py").read_text(encoding="utf-8")
            results = trusted_run.run_suite(source, assignment)
            assert all(entry["passed"] for entry in results.values()), assignment
    assert asked == set(rule.GUARDED)


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
    ("fd_path", "p = '/proc/self/fd/' + str(4)\n    return p", "unverifiable", "/proc/self/fd/"),
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
    from autograder.feedback import Feedback
    from autograder.sandbox import StudentError

    class GuardedSession:  # the worker's guard caught a forbidden call the static rule let by
        defined, load_notes = {"corr2d"}, []

        def call(self, probe, *args, **kwargs):
            raise StudentError("ForbiddenBuiltinError", "torch.conv2d is not allowed here", "")

    for lang, text in (("es", "corr2d usa torch.conv2d."), ("en", "corr2d uses torch.conv2d.")):
        student = plugin.Student("<none>", "ps1_corr2d", lang)
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
    selftest = "X = torch.ones(4, 4)\nK = torch.ones(2, 2)\nok = torch.allclose(corr2d(X, K), F.conv2d(X[None, None], K[None, None])[0, 0])\n"
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
    verdict = rule.check([["celda 3", HEAD + "def corr2d(X, K):\n    return getattr(F, 'pad')(X)\n"]], "corr2d")
    assert "No podemos verificar que corr2d" in verdict.message("es") and "`getattr`" in verdict.message("es")


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
    assert plugin.REPLY_SHAPES["call_student"](good)
    for bad in ({"value": 1}, {**good, "ops": "muchas"}, {**good, "forbidden": "no"}, [good], None,
                {**good, "lines": True}):
        assert not plugin.REPLY_SHAPES["call_student"](bad), bad
    assert not plugin.REPLY_SHAPES["conv2d_params"]({"is_module": True, "parameters": "ok"})
    assert not plugin.REPLY_SHAPES["describe_net"]({"type": "x", "is_module": True})
    assert not plugin.REPLY_SHAPES["run_loop"]({"value": 1, "type": "t", "log": [()], "weights": {},
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
    from autograder import report

    flagged = {"score": 0, "tests": [], "extra_data": {"review": [{"object": "corr2d"}]}}
    plain = {"score": 0, "tests": [], "extra_data": {}}
    text = report.table([("a", flagged, "graded"), ("b", plain, "graded")], "ps1_corr2d")
    assert "calificada (revisar)" in text.splitlines()[2] and "revisar" not in text.splitlines()[3]
