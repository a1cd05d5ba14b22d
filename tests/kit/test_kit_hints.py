"""The kit's hints (assignments/cursocnn/hints.py): a failing visible test and check() name the
likely cause with the grader's own misconception text, computed on the visible test's inputs.

- the kit's texts (cursocnn/hint_texts.py, a copy: the kit cannot import the grader) equal
  autograder.text.feedback.misconception_text(key, "es") for every key the kit can name;
- for the corpus mutants (tests/corpus/mutants) whose visible test fails, check() in the
  assignment's notebook names the same cause as the grader's feedback on that file
  (the corpus as `autograder grade` graded it, tests/conftest.py's corpus_results); a correct
  notebook gets no hint;
- the kit's hints module imports without torch.

Regenerate the copy after changing a grader text:  python -m autograder.cli.kit_copies
"""
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "assignments" / "cursocnn"
TEXTS_FILE = KIT / "hint_texts.py"
MUTANTS = ROOT / "tests" / "corpus" / "mutants"

def test_kit_texts_are_the_graders():
    from autograder.text.feedback import MISCONCEPTIONS, explain, misconception_text
    from cursocnn import hint_texts, hints

    assert set(hints.KEYS) <= set(MISCONCEPTIONS)
    assert set(hint_texts.TEXTS) == set(hints.KEYS)
    for key in hints.KEYS:
        assert hint_texts.TEXTS[key] == misconception_text(key, "es"), key
        assert hints.texto(key) == explain("es", key), key
    from autograder.cli import kit_copies
    assert TEXTS_FILE.read_text(encoding="utf-8") == kit_copies.hint_texts_text(), \
        "cursocnn/hint_texts.py is stale: run python -m autograder.cli.kit_copies"


def test_every_key_the_diagnoses_return_is_listed():
    from cursocnn import hints
    source = (KIT / "hints.py").read_text(encoding="utf-8")
    named = set(re.findall(r'"([a-z_0-9]+)"', source.split("_DIAGNOSES = {")[0]))
    named |= {f"{a}_not_parameter" for a in ("weight", "bias")}
    assert {k for k in named if k in _all_keys()} <= set(hints.KEYS)


def _all_keys():
    from autograder.text.feedback import MISCONCEPTIONS
    return set(MISCONCEPTIONS)


@pytest.mark.slow        # a fresh interpreter where torch cannot be imported
def test_hints_module_imports_without_torch(tmp_path):
    code = ("import sys; sys.modules['torch'] = None; sys.path.insert(0, sys.argv[1]); "
            "from cursocnn import hints, selfcheck; "
            "print(repr(hints.posible_causa('corr2d', [[1.0]], X=1, K=2)))")
    out = subprocess.run([sys.executable, "-c", code, str(KIT.parent)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "''"


# ------------------------------------------------------------------ direct diagnoses

def test_typical_mistakes_are_named_on_visible_inputs():
    import torch

    from cursocnn.hints import diagnosticar, posible_causa, texto

    X = torch.arange(9.0).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    right = torch.tensor([[19.0, 25.0], [37.0, 43.0]])
    assert diagnosticar("corr2d", right, X=X, K=K) is None
    assert posible_causa("corr2d", right, X=X, K=K) == ""
    flipped = torch.tensor([[5.0, 11.0], [23.0, 29.0]])
    assert diagnosticar("corr2d", flipped, X=X, K=K) == "flipped_kernel"
    assert posible_causa("corr2d", flipped, X=X, K=K) == "\n" + texto("flipped_kernel")
    assert diagnosticar("corr2d", right.T, X=X, K=K) == "transposed"
    assert diagnosticar("corr2d", torch.zeros(1, 1), X=X, K=K) == "off_by_one"
    assert diagnosticar("conv2d_strict", right, X=X, K=K) == "not_flipped"
    assert diagnosticar("pool2d", torch.tensor([[2.0, 3.0], [5.0, 6.0]]), X=X, pool_size=(2, 2)) \
        == "default_mode_not_max"
    assert diagnosticar("pool2d", torch.tensor([[4.0, 5.0], [7.0, 8.0]]), X=X, pool_size=(2, 2),
                        mode="avg") == "modes_swapped"
    # (8 + 2 - 3) // 2 + 1 = 4; without the + 1, 3; padding counted once, also 4
    assert diagnosticar("conv_output_shape", (3, 3), input_size=8, kernel_size=3, padding=1,
                        stride=2) == "missing_plus_one"
    assert diagnosticar("conv_output_shape", (7, 7), input_size=8, kernel_size=3, padding=1) \
        == "padding_not_doubled"      # as the grader: the first alternative that matches
    assert diagnosticar("conv_output_shape", (4, 4), input_size=8, kernel_size=3, padding=1,
                        stride=2) is None
    # never raises, whatever it gets
    assert diagnosticar("corr2d", "no es un tensor", X=X, K=K) is None
    assert diagnosticar("corr2d", right) is None
    assert diagnosticar("no_existe", right) is None


def test_check_in_the_notebook_prints_the_cause(capsys, monkeypatch, tmp_path):
    """check("corr2d") as a notebook cell runs it: the kernel ran the cell importing posible_causa."""
    import shutil

    import torch

    from cursocnn import selfcheck
    from cursocnn.hints import posible_causa, texto
    from reference import ps1_corr2d as ref

    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb", tmp_path)

    def corr2d(X, K):                       # a true convolution: the kernel flipped
        return ref.corr2d(X, torch.flip(K, (0, 1)))
    ns = {"torch": torch, "nn": torch.nn, "corr2d": corr2d, "posible_causa": posible_causa,
          "check": selfcheck.check}
    exec("check('corr2d')", ns)
    out = capsys.readouterr().out
    assert "✘ corr2d" in out and texto("flipped_kernel") in out, out

    ns["corr2d"] = ref.corr2d
    exec("check('corr2d')", ns)
    out = capsys.readouterr().out
    assert "✘" not in out and "Posible causa" not in out, out

    # the cell importing posible_causa was not run: check() still names the cause
    ns = {"torch": torch, "nn": torch.nn, "corr2d": corr2d, "check": selfcheck.check}
    exec("check('corr2d')", ns)
    out = capsys.readouterr().out
    assert texto("flipped_kernel") in out and "NameError" not in out, out
    assert "posible_causa" not in ns                 # the caller's variables are left alone


# ------------------------------------------------------------------ check() vs the grader

def _fields(path):
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    return dict(re.findall(r"^(\w+): (.+)$", doc, re.M))


def _notebook_with(path, aid):
    """The assignment's source notebook, its first solution cell holding the file's code and
    the other solution cells emptied (as a student's filled-in notebook)."""
    nb = json.loads((ROOT / "assignments" / "source" / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
    nb = copy.deepcopy(nb)
    solutions = [c for c in nb["cells"] if c.get("cell_type") == "code"
                 and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    for i, cell in enumerate(solutions):
        cell["source"] = path.read_text(encoding="utf-8") if i == 0 else ""
    return nb


def _check_output(nb_path, name):
    """What check(name) prints in a kernel that ran the notebook's definitions (the terminal
    self-check's loader, then check() itself on that namespace)."""
    code = (
        "import sys, io, contextlib, json; sys.path.insert(0, sys.argv[1]);"
        "from cursocnn import selfcheck;"
        "data = selfcheck.run_notebook_checks(sys.argv[2]);"
        "print(json.dumps([r for r in data['results'] if r['name'] == sys.argv[3]]))")
    out = subprocess.run([sys.executable, "-c", code, str(KIT.parent), str(nb_path), name],
                         capture_output=True, text=True, timeout=600, cwd=str(nb_path.parent))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


MUTANT_CASES = [
    ("ps1_corr2d", "corr2d_flipped.py"),
    ("ps1_corr2d", "corr2d_off_by_one.py"),
    ("ps1_corr2d", "corr2d_transposed.py"),
    ("ps1_corr2d", "conv2d_strict_not_flipped.py"),
    ("ps1_corr2d", "conv2d_strict_one_axis.py"),
    ("ps1_corr2d", "learn_kernel_mean_loss.py"),
    ("ps1_corr2d", "learn_kernel_no_zero_grad.py"),
    ("ps2_conv2d", "conv2d_forward_no_bias.py"),
    ("ps2_conv2d", "conv2d_bias_plain_tensor.py"),
    ("ps2_conv2d", "conv_output_shape_no_plus_one.py"),
    ("ps2_conv2d", "conv_output_shape_single_padding.py"),
    ("ps2_conv2d", "pad_stride_ignores_stride.py"),
    ("ps2_conv2d", "pad_stride_one_side.py"),
    ("ps3_channels", "multi_in_no_sum.py"),
    ("ps3_channels", "multi_in_out_last_axis.py"),
    ("ps4_pooling", "pool2d_avg_sum.py"),
    ("ps4_pooling", "pool2d_silent_zeros.py"),
    ("ps4_pooling", "pad_stride_default_stride_one.py"),
    ("ps4_pooling", "pad_stride_zero_padding_max.py"),
]


# The visible input where the grader itself names another cause than the file's: with p = 1 and
# s = 1, n + 2p - k (no + 1) equals n + p - k + 1 (padding once), and the grader's course test
# (the same input, conv_output_shape(8, 3, padding=1)) names padding_not_doubled first.
SAME_INPUT_CAUSE = {"conv_output_shape_no_plus_one.py": "padding_not_doubled"}


@pytest.mark.slow
@pytest.mark.sandbox      # the grader's verdict on the same file: the corpus graded by the real CLI
@pytest.mark.parametrize("aid,filename", MUTANT_CASES, ids=[f[:-3] for _, f in MUTANT_CASES])
def test_check_names_the_graders_cause(aid, filename, tmp_path, corpus_results):
    from autograder.text.feedback import explain

    path = MUTANTS / aid / filename
    fields = _fields(path)
    target = fields["target"]
    key = SAME_INPUT_CAUSE.get(filename, fields["misconception"])

    # the grader's feedback on the file (in Spanish) names this cause, with the same text
    result = corpus_results[f"{aid}:mutants/{aid}/{filename}"]
    named = [t for t in result["tests"] if (t.get("extra_data") or {}).get("misconception") == key]
    assert named, [(t["name"], (t.get("extra_data") or {}).get("misconception")) for t in result["tests"]]
    assert all(explain("es", key) in t["output"] for t in named)

    # check() on the student's notebook names the same one
    import shutil
    shutil.copytree(KIT, tmp_path / "cursocnn", ignore=shutil.ignore_patterns("__pycache__"))
    nb_path = tmp_path / f"{aid}.ipynb"
    nb_path.write_text(json.dumps(_notebook_with(path, aid), ensure_ascii=False), encoding="utf-8")
    results = _check_output(nb_path, target)
    failed = [r for r in results if not r["ok"]]
    assert failed, results
    assert explain("es", key) in failed[0]["message"], failed[0]["message"]
    hinted = {m for r in failed for m in re.findall(r"Posible causa: .*", r["message"])}
    assert hinted == {explain("es", key)}, hinted


@pytest.mark.slow
@pytest.mark.parametrize("aid", ["ps1_corr2d", "ps2_conv2d", "ps3_channels", "ps4_pooling"])
def test_correct_notebook_gets_no_hint(aid, tmp_path):
    import shutil
    shutil.copytree(KIT, tmp_path / "cursocnn", ignore=shutil.ignore_patterns("__pycache__"))
    nb_path = tmp_path / f"{aid}.ipynb"
    shutil.copy(ROOT / "assignments" / "source" / aid / f"{aid}.ipynb", nb_path)
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]);"
            "from cursocnn import selfcheck;"
            "print(json.dumps(selfcheck.run_notebook_checks(sys.argv[2])['results']))")
    out = subprocess.run([sys.executable, "-c", code, str(KIT.parent), str(nb_path)],
                         capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert results and all(r["ok"] for r in results), results
    assert "Posible causa" not in out.stdout
