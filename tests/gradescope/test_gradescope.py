"""The Gradescope zip: layout, and run_autograder run for real in a temporary root standing for
/autograder (as Gradescope lays it out: zip unpacked in ROOT/source, run_autograder copied to
ROOT/run_autograder, the student's files in ROOT/submission)."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import build as gradescope
from autograder.grading.scoring import POINTS

REPO = Path(__file__).resolve().parents[2]


def _solution_free(text: str, names) -> str:
    """reference module source with the bodies of `names` replaced by NotImplementedError."""
    out, skipping, current = [], False, None
    for line in text.splitlines():
        m = re.match(r"def (\w+)\(", line)
        if m:
            current = m.group(1)
        if "### BEGIN SOLUTION" in line and current in names:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "raise NotImplementedError()")
            skipping = True
            continue
        if "### END SOLUTION" in line and skipping:
            skipping = False
            continue
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def gs_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    gradescope.build_zip("ps1_corr2d", out)
    return out


def _install(zip_path, root: Path):
    """Lay the zip out as Gradescope does."""
    src = root / "source"
    src.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, src)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(src / info.filename, mode)
    shutil.copy(src / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return src


def _run(root: Path, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_NOTEBOOK")}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    return subprocess.run(["bash", str(root / "run_autograder")], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_zip_layout(gs_zip):
    with zipfile.ZipFile(gs_zip) as zf:
        names = set(zf.namelist())
        for required in ("setup.sh", "run_autograder"):
            assert required in names                     # at the zip's root
            mode = (zf.getinfo(required).external_attr >> 16) & 0o777
            assert mode & stat.S_IXUSR, f"{required} must be executable"
        # the grader itself travels in the zip
        for f in ("autograder/grading/engine.py", "autograder/sandbox/session.py",
                  "autograder/sandboxed/worker/main.py",
                  "autograder/suites/plugin.py", "autograder/suites/ps1_corr2d/test_ps1_corr2d.py",
                  "reference/ps1_corr2d.py", "assignments/cursocnn/__init__.py", "pyproject.toml"):
            assert f in names, f
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        cfg = json.loads(zf.read("gradescope.json"))
        assert cfg == {"assignment": "ps1_corr2d", "lang": "es", "device": "auto",
                       "visibility": "after_published"}
        setup = zf.read("setup.sh").decode()
        assert "pip install" in setup and "requirements.txt" in setup and "torch" in setup
        reqs = zf.read("requirements.txt").decode().split()
        assert any(r.startswith("pytest") for r in reqs)
        assert not any(r.startswith("torch") for r in reqs)   # CPU wheels installed separately
        run = zf.read("run_autograder").decode()
        assert "autograder.gradescope run" in run and "AUTOGRADER_ROOT" in run
    # ps5's image also gets Fashion-MNIST; the others do not
    assert "dataset-fashion-mnist" not in zipfile.ZipFile(gs_zip).read("setup.sh").decode()


def test_zip_is_deterministic(gs_zip, tmp_path):
    again = gradescope.build_zip("ps1_corr2d", tmp_path / "again.zip")
    assert again.read_bytes() == gs_zip.read_bytes()


def test_ps5_zip_fetches_data(tmp_path):
    z = gradescope.build_zip("ps5_lenet", tmp_path / "ps5.zip")
    setup = zipfile.ZipFile(z).read("setup.sh").decode()
    assert "dataset-fashion-mnist" in setup
    # the image trains the reference LeNets into the cache run_autograder uses
    assert "-m autograder.cli.training_cache warm --device auto" in setup
    assert 'AUTOGRADER_TRAINING_CACHE="$PWD/.training-cache"' in setup
    run = zipfile.ZipFile(z).read("run_autograder").decode()
    assert 'AUTOGRADER_TRAINING_CACHE="${AUTOGRADER_TRAINING_CACHE:-$SRC/.training-cache}"' in run
    ps1 = gradescope.build_zip("ps1_corr2d", tmp_path / "ps1.zip")
    assert "training_check warm" not in zipfile.ZipFile(ps1).read("setup.sh").decode()


@pytest.mark.slow
def test_run_autograder_without_submission_writes_results(gs_zip, tmp_path):
    _install(gs_zip, tmp_path)
    proc = _run(tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["max_score"] == sum(POINTS["ps1_corr2d"].values())
    assert "No se encontró ninguna entrega" in results["output"]
    assert results["visibility"] == "after_published" and results["stdout_visibility"] == "hidden"


@pytest.mark.slow
def test_package_in_zip_is_the_one_imported(gs_zip, tmp_path):
    """run_autograder puts ROOT/source first on the path: the zip's grader runs, not whatever
    happens to be installed."""
    src = _install(gs_zip, tmp_path)
    env = dict(os.environ, PYTHONPATH=f"{src}:{src / 'assignments'}")
    out = subprocess.run([sys.executable, "-c", "import autograder, cursocnn, reference; "
                          "print(autograder.__file__); print(cursocnn.__file__); print(reference.__file__)"],
                         cwd=str(src), env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(p.startswith(str(src)) for p in out), out


@pytest.mark.slow
@pytest.mark.sandbox
def test_run_autograder_grades_a_partial_submission(gs_zip, tmp_path):
    _install(gs_zip, tmp_path)
    ref = (REPO / "reference" / "ps1_corr2d.py").read_text(encoding="utf-8")
    (tmp_path / "submission" / "ps1_corr2d.py").write_text(_solution_free(ref, {"learn_kernel"}))
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    pts = POINTS["ps1_corr2d"]
    assert results["max_score"] == sum(pts.values())
    assert results["score"] == pts["corr2d"] + pts["conv2d_strict"]
    failed = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert failed and all(t["name"].startswith("learn_kernel:") for t in failed)
    assert all(t["output"] for t in failed)                   # Spanish feedback, not empty
    assert any("NotImplementedError" in t["output"] for t in failed)
    for t in results["tests"]:
        assert {"name", "score", "max_score", "output"} <= set(t)
        assert t["visibility"] == gradescope.DEFAULT_VISIBILITY


def _fake_grade(path, assignment, lang="es", device="auto"):
    return {"score": 1, "max_score": 2, "output": "", "execution_time": 0.1,
            "tests": [{"name": "corr2d: a", "score": 1, "max_score": 1, "status": "passed",
                       "output": "", "visibility": "visible"},
                      {"name": "corr2d: b", "score": 0, "max_score": 1, "status": "failed",
                       "output": "mal", "visibility": "visible"}]}


@pytest.mark.parametrize("choice", [None, "visible", "after_due_date", "after_published", "hidden"])
def test_visibility_option_reaches_every_test(tmp_path, choice):
    from autograder.cli import main as cli

    zip_path = tmp_path / "ag.zip"
    argv = ["gradescope", "-a", "ps1_corr2d", "-o", str(zip_path)]
    argv += ["--visibility", choice] if choice else []
    assert cli.main(argv) == 0
    expected = choice or "after_published"
    config = json.loads(zipfile.ZipFile(zip_path).read("gradescope.json"))
    assert config["visibility"] == expected
    root = tmp_path / "root"
    (root / "source").mkdir(parents=True)
    (root / "source" / "gradescope.json").write_text(json.dumps(config))
    (root / "submission").mkdir()
    (root / "submission" / "ps1_corr2d.py").write_text("x = 1\n")
    gradescope.run_autograder(root, grade=_fake_grade)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["visibility"] == expected and results["stdout_visibility"] == "hidden"
    assert [t["visibility"] for t in results["tests"]] == [expected, expected]
    assert [t["output"] for t in results["tests"]] == ["", "mal"]      # hidden, not deleted


def test_unknown_visibility_is_a_usage_error(tmp_path, capsys):
    from autograder.cli import main as cli

    with pytest.raises(SystemExit) as exc:
        cli.main(["gradescope", "-a", "ps1_corr2d", "-o", str(tmp_path / "z.zip"),
                  "--visibility", "later"])
    assert exc.value.code == 2 and "after_published" in capsys.readouterr().err
    with pytest.raises(ValueError):
        gradescope.build_zip("ps1_corr2d", tmp_path / "z.zip", visibility="later")
