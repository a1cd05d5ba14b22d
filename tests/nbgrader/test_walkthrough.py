"""docs/instructors.md §2, run as an instructor would on a fresh copy of the course folder:
three students for ps1_corr2d and one for ps5_lenet, `nbgrader autograde`, the hardened pass
(`autograder grade --nbgrader`), a regrade of one student, generate_feedback and export.

What the walk-through must show (issue 10): each ps5 model is trained at most once across every
pass, the training's progress reaches the instructor (stderr, and AUTOGRADER_PROGRESS_LOG's
record), and a regrade of one student keeps the other students' rows."""
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PS1, PS5 = "ps1_corr2d", "ps5_lenet"
EPOCH_LINE = re.compile(r"\] (?:\S+: )?(\w+): (?:época|epoch) 1/")
REUSE_LINE = re.compile(r"\] (?:\S+: )?(\w+): .*(?:reutilizado|reused)")


def _run(cwd, *args, env):
    proc = subprocess.run([str(a) for a in args], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _submit(course: Path, student: str, aid: str, nb: dict):
    folder = course / "submitted" / student / aid
    shutil.copytree(course / "release" / aid, folder, dirs_exist_ok=True)   # notebook + kit
    (folder / f"{aid}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")


def _csv_rows(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    base = tmp_path_factory.mktemp("walk")
    course = base / "assignments"
    ignore = shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db",
                                    "__pycache__", ".ipynb_checkpoints", "grades-*.csv")
    shutil.copytree(REPO / "assignments", course, ignore=ignore)
    if os.geteuid() != 0:       # no bwrap for the kernel without root
        cfg = course / "nbgrader_config.py"
        cfg.write_text(cfg.read_text() + "\nc.ConfinedKernelManager.require_confinement = False\n")
    (base / "tmp").mkdir()
    logs = {name: base / f"progress-{name}.log" for name in ("autograde", "hardened", "regrade")}
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", TMPDIR=str(base / "tmp"),
               AUTOGRADER_DEVICE="cpu", AUTOGRADER_LANG="es")
    env.pop("AUTOGRADER_NOTEBOOK", None)

    for aid in (PS1, PS5):
        _run(course, VENV_BIN / "nbgrader", "generate_assignment", aid, "--force", env=env)
    release = json.loads((course / "release" / PS1 / f"{PS1}.ipynb").read_text(encoding="utf-8"))
    source = json.loads((course / "source" / PS1 / f"{PS1}.ipynb").read_text(encoding="utf-8"))
    partial = copy.deepcopy(release)
    solution = {_gid(c): c["source"] for c in source["cells"]}
    for cell in partial["cells"]:
        if _gid(cell) == "sol_corr2d":
            cell["source"] = solution["sol_corr2d"]
    perfect = {aid: json.loads((REPO / "examples" / aid / "perfecta.ipynb").read_text(encoding="utf-8"))
               for aid in (PS1, PS5)}
    _submit(course, "ana", PS1, perfect[PS1])
    _submit(course, "beto", PS1, release)
    _submit(course, "caro", PS1, partial)
    _submit(course, "dani", PS5, perfect[PS5])

    out = {"course": course, "logs": logs}
    for aid in (PS1, PS5):
        out[f"autograde-{aid}"] = _run(course, VENV_BIN / "nbgrader", "autograde", aid,
                                       env=dict(env, AUTOGRADER_PROGRESS_LOG=str(logs["autograde"])))
        out[f"hardened-{aid}"] = _run(course, VENV_BIN / "autograder", "grade", "--nbgrader", ".",
                                      "--assignment", aid, "--out", base / f"out-{aid}",
                                      env=dict(env, AUTOGRADER_PROGRESS_LOG=str(logs["hardened"])))
    out["csv_before"] = _csv_rows(course / f"grades-{PS1}.csv")
    out["regrade"] = _run(course, VENV_BIN / "autograder", "grade", "--nbgrader", ".", "--assignment",
                          PS1, "--student", "beto",
                          env=dict(env, AUTOGRADER_PROGRESS_LOG=str(logs["regrade"])))
    out["csv_after"] = _csv_rows(course / f"grades-{PS1}.csv")
    _run(course, VENV_BIN / "nbgrader", "generate_feedback", PS1, env=env)
    _run(course, VENV_BIN / "nbgrader", "export", "--to", base / "export.csv", env=env)
    with open(base / "export.csv", newline="", encoding="utf-8") as f:
        out["export"] = list(csv.DictReader(f))
    return out


def _log_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_ps1_scores_for_three_students(walk):
    rows = walk["csv_before"]
    assert sorted(rows) == ["ana", "beto", "caro"]
    assert float(rows["ana"]["score"]) == 20 and float(rows["beto"]["score"]) == 0
    assert 0 < float(rows["caro"]["score"]) < 20          # corr2d solved, the rest not


def test_hardened_pass_prints_the_grade_table(walk):
    table = walk[f"hardened-{PS1}"].stdout
    for student in ("ana", "beto", "caro"):
        assert re.search(rf"^{student}\s", table, re.M), table


def test_regrading_one_student_keeps_the_others(walk):
    assert walk["csv_after"] == walk["csv_before"]
    assert re.search(r"^beto\s", walk["regrade"].stdout, re.M)
    assert not re.search(r"^ana\s", walk["regrade"].stdout, re.M)


def test_feedback_and_export_for_every_student(walk):
    course = walk["course"]
    for student in ("ana", "beto", "caro"):
        assert (course / "feedback" / student / PS1 / f"{PS1}.html").is_file()
    scores = {(r["assignment"], r["student_id"]): float(r["score"]) for r in walk["export"]}
    assert scores[(PS1, "ana")] == 20 and scores[(PS5, "dani")] == 25


def test_ps5_each_model_trained_at_most_once_with_progress(walk):
    autograde, hardened = (_log_lines(walk["logs"][k]) for k in ("autograde", "hardened"))
    trained = [m.group(1) for line in autograde + hardened if (m := EPOCH_LINE.search(line))]
    assert len(trained) == len(set(trained)), trained
    # nbgrader autograde said, model by model, what it did (trained it, or reused an identical
    # model's result from the training cache)
    told = set(trained) | {m.group(1) for line in autograde if (m := REUSE_LINE.search(line))}
    assert {"lenet", "lenet_modern"} <= told, autograde
    # ... on nbgrader's own stderr too, as it happened: the same lines, without the log's times
    terminal = walk[f"autograde-{PS5}"].stderr
    progress = [line.split(" ", 1)[1] for line in autograde if EPOCH_LINE.search(line) or REUSE_LINE.search(line)]
    assert progress and all(line in terminal for line in progress), terminal
    # the hardened pass reuses nbgrader autograde's snapshot result: nothing trains again
    assert not [line for line in hardened if EPOCH_LINE.search(line)], hardened
    assert _csv_rows(walk["course"] / f"grades-{PS5}.csv")["dani"]["score"] in ("25", "25.0")
