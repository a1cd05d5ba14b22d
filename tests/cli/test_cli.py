"""`autograder grade`: exit codes, result folders, naming, resume, --force, --lang, the table.

Most tests run the command in a subprocess. Those about batches and resume use a small stand-in
suite (AUTOGRADER_SUITES_DIR / AUTOGRADER_SUITES_PLUGIN, the engine's developer hooks) whose
behaviour the submission's text drives (pass, fail, grader bug, grader crash, slow), so they are
fast and deterministic; the others grade the bundled examples with the real hidden suite.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_suite import fake_env, sub

from autograder.grading import scoring
from autograder.grading.results import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ps1_corr2d"

def autograder(*args, env=None, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def folders(out: Path):
    """{result folder name: (results, meta)} for every folder under out."""
    found = {}
    for d in sorted(out.iterdir()):
        if not d.is_dir():  # the report pages (index.html, grades.csv) sit beside the folders
            continue
        res = json.loads((d / "results.json").read_text()) if (d / "results.json").exists() else None
        meta = json.loads((d / "meta.json").read_text()) if (d / "meta.json").exists() else None
        found[d.name] = (res, meta)
    return found


# ---------------------------------------------------------------- help and usage errors

@pytest.mark.slow
def test_help_is_readable():
    top = autograder("--help")
    assert top.returncode == 0 and "grade" in top.stdout
    g = autograder("grade", "--help")
    assert g.returncode == 0
    for word in ("--assignment", "--out", "--jobs", "--lang", "--force", "--device", "SUBMISSION",
                 "exit status"):
        assert word in g.stdout


@pytest.mark.parametrize("args", [
    ["grade", "--assignment", "ps9_nope", "x.py"],          # unknown assignment
    ["grade", "--assignment", "ps1_corr2d"],                 # no submissions
    ["grade", "--assignment", "ps1_corr2d", "no/existe.py"],  # nonexistent path
    ["grade", "--assignment", "ps1_corr2d", "--jobs", "-1", str(EXAMPLES)],
    ["grade", "--assignment", "ps1_corr2d", "--lang", "fr", str(EXAMPLES)],
    ["grade", str(EXAMPLES)],                                 # --assignment missing
    ["frobnicate"],
])
@pytest.mark.slow
def test_usage_errors_exit_2_and_grade_nothing(args, tmp_path):
    extra = ["--out", tmp_path / "out"] if args[0] == "grade" else []
    r = autograder(*args, *extra, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "usage" in r.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_training_cache_options_reach_the_run_and_leave_no_trace(tmp_path, monkeypatch, capsys):
    """--training-cache and --force are in the environment while the run lasts (lanes and the
    nbgrader route inherit it) and gone after it, even when the run ends in a usage error; a
    usage error names the command that failed."""
    from autograder.cli import main as cli
    from autograder.training.cache import ENV_CACHE, ENV_CACHE_SINCE

    before = dict(os.environ)
    seen = {}

    def fake_grade(args, parser):
        seen.update({k: os.environ.get(k) for k in (ENV_CACHE, ENV_CACHE_SINCE)})
        parser.error("stop here")

    monkeypatch.setattr(cli, "_grade", fake_grade)
    started = time.time()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["grade", "-a", "ps1_corr2d", "--force", "--training-cache", str(tmp_path), "x.py"])
    assert exit_.value.code == 2
    assert "autograder grade: error: stop here" in capsys.readouterr().err
    assert seen[ENV_CACHE] == str(tmp_path) and float(seen[ENV_CACHE_SINCE]) >= started
    assert dict(os.environ) == before


@pytest.mark.slow
def test_out_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "out").write_text("x")
    r = autograder("grade", "-a", "ps1_corr2d", "--out", tmp_path / "out", sub(tmp_path / "a.py"),
                   env=fake_env(tmp_path))
    assert r.returncode == 2


# ---------------------------------------------------------------- batches (stand-in suite)

@pytest.mark.sandbox
def test_batch_same_stems_mixed_folder_and_exit_0(tmp_path):
    env = fake_env(tmp_path)
    batch = tmp_path / "entregas"
    sub(batch / "ana.py", "corr2d_OK", "conv2d_strict_OK", "learn_kernel_OK")
    sub(batch / "beto.py", "corr2d_OK")
    sub(batch / "grupo1" / "ana.py", "learn_kernel_OK")        # a folder with one file: "grupo1"
    sub(batch / "lote2" / "ana.py")                             # lote2 is a batch of two:
    sub(batch / "lote2" / "zoe.py", "conv2d_strict_OK")         # ana (a second one) and zoe
    (batch / "roto.ipynb").write_text('{"cells": [')            # not a notebook
    other = sub(tmp_path / "otra" / "ana.py", "corr2d_OK")       # same stem again, given directly
    out = tmp_path / "out"
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, "--jobs", "2", batch, other, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    found = folders(out)
    assert len(found) == 7
    sources = [meta["source"] for _res, meta in found.values()]
    assert len(set(sources)) == 7
    for name, (res, meta) in found.items():
        assert validate(res) == [], (name, validate(res))
        assert meta["status"] == "complete" and meta["assignment"] == "ps1_corr2d"
        assert res["max_score"] == scoring.max_score("ps1_corr2d")
        assert len({t["name"] for t in res["tests"]}) == len(res["tests"])
    by_source = {Path(meta["source"]).relative_to(tmp_path).as_posix(): (name, res)
                 for name, (res, meta) in found.items()}
    assert by_source["entregas/beto.py"][0] == "beto"
    assert by_source["entregas/grupo1"][0] == "grupo1"
    assert by_source["entregas/ana.py"][1]["score"] == 20
    assert by_source["entregas/beto.py"][1]["score"] == 10
    assert by_source["entregas/roto.ipynb"][1]["score"] == 0
    assert "no es un archivo .ipynb válido" in by_source["entregas/roto.ipynb"][1]["output"]
    ana_names = sorted(by_source[k][0] for k in ("entregas/ana.py", "entregas/lote2/ana.py", "otra/ana.py"))
    assert ana_names[0] == "ana" and all(n.startswith("ana-") for n in ana_names[1:])
    # the table: a row per submission with per-object scores and the total, then the mean
    lines = r.stdout.splitlines()
    header = lines[0].split()
    assert header[:2] == ["Entrega", "corr2d"] and "Total" in header
    beto = next(ln.split() for ln in lines if ln.startswith("beto "))
    assert beto[1:5] == ["10", "0", "0", "10"]
    assert any(ln.startswith("Media") for ln in lines)
    assert "7 entregas: 7 calificadas ahora" in r.stdout
    # a rerun assigns the same names and regrades nothing
    r2 = autograder("grade", "-a", "ps1_corr2d", "--out", out, "--jobs", "2", batch, other, env=env)
    assert r2.returncode == 0
    assert sorted(folders(out)) == sorted(found)
    assert "7 entregas: 0 calificadas ahora, 7 ya calificadas antes" in r2.stdout
    assert [json.loads((out / n / "meta.json").read_text())["time"] for n in sorted(found)] == \
        [found[n][1]["time"] for n in sorted(found)]


@pytest.mark.sandbox
def test_rerun_skips_complete_force_regrades_and_changes_regrade(tmp_path):
    env = fake_env(tmp_path)
    a = sub(tmp_path / "a.py", "corr2d_OK")
    b = sub(tmp_path / "b.py", "conv2d_strict_OK")
    out = tmp_path / "out"
    assert autograder("grade", "-a", "ps1_corr2d", "--out", out, a, b, env=env).returncode == 0
    mtimes = {n: (out / n / "results.json").stat().st_mtime_ns for n in ("a", "b")}
    time.sleep(0.05)
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, a, b, env=env)
    assert r.returncode == 0 and "previa" in r.stdout
    assert {n: (out / n / "results.json").stat().st_mtime_ns for n in ("a", "b")} == mtimes
    # an edited submission is regraded even without --force
    sub(a, "corr2d_OK", "learn_kernel_OK")
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, a, b, env=env)
    assert "1 calificadas ahora, 1 ya calificadas antes" in r.stdout
    assert json.loads((out / "a" / "results.json").read_text())["score"] == 16
    assert (out / "b" / "results.json").stat().st_mtime_ns == mtimes["b"]
    # another language is another result: regraded
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, "--lang", "en", b, env=env)
    assert "1 submission: graded now" in r.stdout
    # --force regrades everything
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, "--force", a, b, env=env)
    assert r.returncode == 0 and "2 calificadas ahora, 0 ya calificadas antes" in r.stdout
    assert (out / "b" / "results.json").stat().st_mtime_ns != mtimes["b"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["a", "b"]
    assert not list(out.rglob("*.tmp"))


@pytest.mark.sandbox
def test_grader_bug_exits_1_and_is_regraded_next_time(tmp_path):
    env = fake_env(tmp_path)
    good = sub(tmp_path / "good.py", "corr2d_OK")
    bug = sub(tmp_path / "bug.py", "GRADER_BUG")
    out = tmp_path / "out"
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, good, bug, env=env)
    assert r.returncode == 1
    assert "KeyError" in r.stderr  # details for the instructor...
    res = json.loads((out / "bug" / "results.json").read_text())
    assert validate(res) == [] and res["extra_data"]["grader_error"] is True
    text = json.dumps(res, ensure_ascii=False)
    assert "KeyError" not in text and "no such key" not in text  # ...never for the student
    assert all("Error interno del corrector" in t["output"] for t in res["tests"])
    assert json.loads((out / "good" / "meta.json").read_text())["status"] == "complete"
    r2 = autograder("grade", "-a", "ps1_corr2d", "--out", out, good, bug, env=env)
    assert r2.returncode == 1
    assert "0 calificadas ahora, 1 ya calificadas antes, 1 con error del corrector" in r2.stdout


@pytest.mark.sandbox
def test_a_crashing_grading_process_loses_only_its_own_submission(tmp_path):
    env = fake_env(tmp_path)
    subs = [sub(tmp_path / f"s{i}.py", "corr2d_OK") for i in range(3)]
    crash = sub(tmp_path / "s1.py", "GRADER_CRASH")
    out = tmp_path / "out"
    r = autograder("grade", "-a", "ps1_corr2d", "--out", out, "--jobs", "2", *subs, env=env)
    assert r.returncode == 1
    found = folders(out)
    assert sorted(found) == ["s0", "s1", "s2"]
    assert found["s0"][0]["score"] == found["s2"][0]["score"] == 10
    assert found["s1"][1]["status"] == "grader_error" and validate(found["s1"][0]) == []
    assert str(crash) == found["s1"][1]["source"]
    assert "ERROR DEL CORRECTOR" in r.stdout


@pytest.mark.sandbox
def test_killed_batch_resumes_without_losing_or_duplicating(tmp_path):
    env = dict(fake_env(tmp_path), FAKE_SLEEP="1")
    for i in range(5):
        sub(tmp_path / "lote" / f"e{i}.py", "corr2d_OK", "SLEEP")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder", "grade", "-a", "ps1_corr2d", "--out", str(out),
           str(tmp_path / "lote")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    done = []
    while time.time() < deadline and proc.poll() is None:
        done = [p for p in out.glob("*/meta.json") if json.loads(p.read_text())["status"] == "complete"] \
            if out.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.parent.name: p.parent.joinpath("results.json").stat().st_mtime_ns
              for p in out.glob("*/meta.json") if json.loads(p.read_text())["status"] == "complete"}
    assert 2 <= len(before) < 5
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    found = folders(out)
    assert sorted(found) == [f"e{i}" for i in range(5)]
    for name, (res, meta) in found.items():
        assert meta["status"] == "complete" and validate(res) == [] and res["score"] == 10
    for name, mtime in before.items():  # complete ones were not regraded
        assert (out / name / "results.json").stat().st_mtime_ns == mtime
    assert f"{5 - len(before)} calificadas ahora, {len(before)} ya calificadas antes" in r.stdout
    assert not list(out.rglob("*.tmp"))


@pytest.mark.sandbox
def test_python_m_from_a_checkout_without_nbgrader_or_jupyter(tmp_path):
    env = fake_env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "fake_suite"), str(ROOT)])
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('nbgrader', 'jupyter', 'jupyter_client', 'notebook',\n"
        "                                  'nbconvert', 'nbclient', 'ipykernel'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n")
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), env["PYTHONPATH"]])
    a = sub(tmp_path / "a.py", "corr2d_OK")
    r = subprocess.run([sys.executable, "-m", "autograder", "grade", "-a", "ps1_corr2d", "--out",
                        str(tmp_path / "out"), str(a)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out" / "a" / "results.json").read_text())["score"] == 10


# ---------------------------------------------------------------- the real suite on the examples

@pytest.mark.slow
@pytest.mark.sandbox
def test_examples_with_the_real_suite_in_english(tmp_path):
    out = tmp_path / "out"
    r = autograder("grade", "--assignment", "ps1_corr2d", "--out", out, "--lang", "en", "--jobs", "2",
                   EXAMPLES / "perfecta.ipynb", EXAMPLES / "con_errores.py")
    assert r.returncode == 0, r.stderr
    found = folders(out)
    perfect, mistakes = found["perfecta"][0], found["con_errores"][0]
    assert perfect["score"] == perfect["max_score"] == 20
    assert 0 <= mistakes["score"] < 20
    assert r.stdout.splitlines()[0].split()[0] == "Submission"
    row = next(ln.split() for ln in r.stdout.splitlines() if ln.startswith("perfecta "))
    assert row[1:5] == ["10", "4", "6", "20"]
    failed = [t for t in mistakes["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] for t in failed)
    for t in mistakes["tests"]:
        assert t["name"].split(":")[0] in scoring.POINTS["ps1_corr2d"]
        assert "def " not in t["output"] and "Traceback" not in t["output"]
    assert any("expected" in t["output"] for t in failed)  # English feedback
