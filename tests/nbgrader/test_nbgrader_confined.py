"""`nbgrader autograde` with the confined kernel and the trusted snapshot (real nbgrader, real kernel).

One course (a temporary copy of assignments/ and reference/), ps1_corr2d, two students:

    honest  every solution cell filled with the reference
    cheat   the release, untouched, plus a first cell that tries to overwrite its own submitted
            file with the solved notebook, read the source notebook and the reference solutions,
            write the gradebook and nbgrader_config.py, read the other student's files and the
            trusted grading shown to its kernel

`nbgrader autograde` runs once per student (honest first), so that everything the cheat's kernel
could reach is hashed before and after it ran. Then `autograder grade --nbgrader`
(nbgrader_gradebook.grade_course) grades the snapshots from the cache.

The fast tests at the end need neither nbgrader's kernel nor the grader: the CSV merge, and how a
kernel's folder is taken back.
"""
import csv
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from nbgrader_course import REPO, released_course
from nbgrader_course import grade_id as _gid
from nbgrader_course import nbgrader as _nbgrader

from autograder.grading.scoring import POINTS
from autograder.nbgrader.gradebook import grade_course
from autograder.nbgrader.snapshot import Store

AID = "ps1_corr2d"
FULL = float(sum(POINTS[AID].values()))


def _landlock_abi():
    from autograder.sandboxed.worker.confine import landlock_abi
    return landlock_abi()


# The modes root can run the class in: bwrap (the zygote, a uid per kernel) and Landlock (what an
# account without user namespaces gets; bwrap stands in as /bin/false). An ordinary user's modes:
# tests/sandbox/test_ordinary_user.py.
MODES = [pytest.param({}, id="bwrap-root"),
         pytest.param({"AUTOGRADER_BWRAP": "/bin/false"}, id="landlock",
                      marks=pytest.mark.skipif(_landlock_abi() < 4, reason="this kernel has no Landlock ABI 4"))]

CHEAT = '''import json as _json, os as _os, sys as _sys
print("preloaded", "torch" in _sys.modules)
def _try(tag, fn):
    try:
        fn()
        print(tag, "DONE")
    except Exception as exc:
        print(tag, "BLOCKED", type(exc).__name__)
ROOT = {root!r}
SOLVED = {solved!r}
_try("a-own-submitted", lambda: open(ROOT + "/submitted/cheat/{aid}/{aid}.ipynb", "w").write(SOLVED))
_try("a-own-submitted-relative", lambda: open("../../../submitted/cheat/{aid}/{aid}.ipynb", "w").write(SOLVED))
_try("b-source", lambda: open(ROOT + "/source/{aid}/{aid}.ipynb").read())
_try("b-reference-course", lambda: open(ROOT + "/../reference/{aid}.py").read())
_try("b-reference-repo", lambda: open({repo_ref!r}).read())
_try("b-grader-suites", lambda: _os.listdir({suites!r}))
_try("c-gradebook", lambda: open(ROOT + "/gradebook.db", "ab").write(b"x"))
_try("c-config", lambda: open(ROOT + "/nbgrader_config.py", "a").write("c.X = 1"))
_try("d-other-submitted", lambda: open(ROOT + "/submitted/honest/{aid}/{aid}.ipynb").read())
_try("d-other-autograded", lambda: open(ROOT + "/autograded/honest/{aid}/{aid}.ipynb").read())
_try("e-view-write", lambda: open(_os.environ["AUTOGRADER_HOOK_RESULTS"], "w").write("{{}}"))
_try("f-own-folder", lambda: open("mine.txt", "w").write("mine"))
print("uid", _os.getuid())
print("caps", int(open("/proc/self/status").read().split("CapEff:")[1].split()[0], 16))
print("view", sorted(_json.load(open(_os.environ["AUTOGRADER_HOOK_RESULTS"]))["objects"]))
'''
EXPECT_BLOCKED = ["a-own-submitted", "a-own-submitted-relative", "b-source", "b-reference-course",
                  "b-reference-repo", "b-grader-suites", "c-gradebook", "c-config", "d-other-submitted",
                  "d-other-autograded", "e-view-write"]


def _src(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _write(course: Path, student: str, nb: dict) -> Path:
    folder = course / "submitted" / student / AID
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{AID}.ipynb"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")
    return path


def _tree_hashes(base: Path, skip) -> dict:
    """{relative path: sha256 (or link target)} of everything under base except `skip` paths."""
    out = {}
    for root, dirs, files in os.walk(base):
        rel_root = Path(root).relative_to(base)
        dirs[:] = [d for d in dirs if str(rel_root / d) not in skip]
        for name in files:
            rel = str(rel_root / name)
            if rel in skip:
                continue
            full = Path(root) / name
            out[rel] = ("link:" + os.readlink(full)) if full.is_symlink() else \
                hashlib.sha256(full.read_bytes()).hexdigest()
    return out


def _gradebook_scores(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-humai") as gb:
        sub = gb.find_submission(AID, student)
        return {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}


@pytest.fixture(scope="module", params=MODES)
def course(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("confined")
    course, env, release, solutions = released_course(base, AID)
    env.update(request.param)
    honest = json.loads(json.dumps(release))
    for cell in honest["cells"]:
        if _gid(cell) in solutions:
            cell["source"] = solutions[_gid(cell)]
    honest_path = _write(course, "honest", honest)
    solved_text = honest_path.read_text(encoding="utf-8")

    cheat = json.loads(json.dumps(release))
    code = CHEAT.format(root=str(course), solved=solved_text, aid=AID,
                        repo_ref=str(REPO / "reference" / f"{AID}.py"),
                        suites=str(REPO / "autograder" / "suites"))
    cheat["cells"].insert(0, {"cell_type": "code", "id": "cheat", "execution_count": None, "metadata": {},
                              "outputs": [], "source": code})
    cheat_path = _write(course, "cheat", cheat)
    cheat_bytes = cheat_path.read_bytes()

    _nbgrader(course, "autograde", AID, "--student", "honest", env=env)
    # everything the cheat's kernel must not change: the whole course but its own autograded
    # folder, the store (snapshots of its notebook are added) and the gradebook (nbgrader writes
    # the cheat's scores there itself), plus the reference solutions and the grader of the repo
    skip = {"assignments/gradebook.db", "assignments/autograded/cheat", "assignments/autograded/.autograder"}
    before = _tree_hashes(base, skip)
    repo_before = _tree_hashes(REPO / "reference", set())
    proc = _nbgrader(course, "autograde", AID, "--student", "cheat", env=env)
    after = _tree_hashes(base, skip)
    repo_after = _tree_hashes(REPO / "reference", set())

    nbgrader_scores = {s: _gradebook_scores(course, s) for s in ("honest", "cheat")}
    calls = []

    def counting_grade(path, assignment, **kw):
        from autograder.grading import engine
        calls.append(path)
        return engine.grade(path, assignment, **kw)

    logs = []
    rows = grade_course(course, AID, lang="es", device="cpu", grade=counting_grade, log=logs.append,
                        out_dir=base / "out")
    return {"path": course, "base": base, "env": env, "before": before, "after": after,
            "repo_before": repo_before, "repo_after": repo_after, "nbgrader": nbgrader_scores,
            "rows": {r["student_id"]: r for r in rows}, "calls": calls, "logs": logs,
            "cheat_bytes": cheat_bytes, "solved_text": solved_text, "autograde_log": proc.stderr,
            "grade": counting_grade, "mode": "landlock" if request.param else "bwrap-root"}


def _cheat_output(course) -> str:
    nb = json.loads((course / "autograded" / "cheat" / AID / f"{AID}.ipynb").read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert "_try(" in _src(first)
    return "".join("".join(o.get("text", "")) for o in first["outputs"] if o.get("name") == "stdout")


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_cheat_cells_are_blocked_in_the_confined_kernel(course):
    out = _cheat_output(course["path"])
    for tag in EXPECT_BLOCKED:
        assert f"{tag} BLOCKED" in out, out
    assert "f-own-folder DONE" in out, out                      # its own folder stays writable
    assert "caps 0" in out, out                                 # no capability left
    if course["mode"] == "bwrap-root":
        assert "preloaded True" in out, out                     # forked from the kernels' zygote
        uid = int(out.split("uid ", 1)[1].split()[0])
        assert uid >= 1000, out                                 # not root
    assert "view ['conv2d_strict', 'corr2d', 'learn_kernel']" in out, out
    assert f"student code confined: {course['mode']}" in course["autograde_log"]


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_plots_are_shown_inline_by_the_forked_kernel(course):
    """pyplot is preloaded by the kernels' zygote; figures must still come out as images."""
    nb = json.loads((course["path"] / "autograded" / "honest" / AID / f"{AID}.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["autograder"]["confinement"] == course["mode"]
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"], outputs
    assert any("image/png" in o.get("data", {}) for o in outputs if o.get("output_type") == "display_data")


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_nothing_outside_the_cheats_own_folder_changed(course):
    assert course["after"] == course["before"]
    assert course["repo_after"] == course["repo_before"]
    own = course["path"] / "autograded" / "cheat" / AID
    assert (own / "mine.txt").read_text() == "mine"
    for path in [own, *own.rglob("*")]:                          # taken back from the kernel's uid
        st = path.lstat()
        assert st.st_uid == os.geteuid() and not stat.S_ISLNK(st.st_mode), path


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_snapshot_is_what_was_submitted(course):
    snap = Store(course["path"]).find(AID, "cheat", AID)
    assert snap is not None
    assert snap.path.read_bytes() == course["cheat_bytes"]
    assert snap.sha256 == hashlib.sha256(course["cheat_bytes"]).hexdigest()
    store = Store(course["path"]).root
    for folder in (store, store / "cache", *(store / "snapshots").rglob("*")):
        if folder.is_dir():
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_scores_are_those_of_the_submissions(course):
    # nbgrader's own gradebook after autograde: the grade cells show the trusted results
    assert course["nbgrader"]["cheat"] == {f"test_{o}": 0.0 for o in POINTS[AID]}
    assert course["nbgrader"]["honest"] == {f"test_{o}": float(p) for o, p in POINTS[AID].items()}
    # the hardened pass
    assert course["rows"]["cheat"]["score"] == 0
    assert course["rows"]["honest"]["score"] == FULL
    assert course["rows"]["cheat"]["notes"] == [] and course["rows"]["honest"]["notes"] == []


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_hardened_pass_reuses_the_autograde_results(course):
    assert course["calls"] == []                                 # no second grading
    assert {r["state"] for r in course["rows"].values()} == {"resumed"}
    res = json.loads((course["base"] / "out" / "honest" / "results.json").read_text(encoding="utf-8"))
    assert res["score"] == FULL and res["tests"]


@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # the confined kernels of the class: a uid each
@pytest.mark.slow
def test_changed_submission_grades_the_snapshot_and_says_so(course):
    course_dir = course["path"]
    submitted = course_dir / "submitted" / "cheat" / AID / f"{AID}.ipynb"
    submitted.write_text(course["solved_text"], encoding="utf-8")    # what the cheat wanted
    csv_path = course_dir / f"grades-{AID}.csv"
    logs = []
    rows = grade_course(course_dir, AID, lang="es", device="cpu", students=["cheat"],
                        grade=course["grade"], log=logs.append)
    row = rows[0]
    assert row["student_id"] == "cheat" and row["score"] == 0
    assert len(row["notes"]) == 1 and "cambió después de `nbgrader autograde`" in row["notes"][0]
    assert row["notebooks"][AID].output.startswith("Aviso: el archivo entregado")
    assert any("cambió después de nbgrader autograde" in m for m in logs), logs   # in the course language
    # a partial regrade keeps the other student's row
    with open(csv_path, newline="") as fh:
        got = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    assert got == {"honest": FULL, "cheat": 0.0}
    # --force grades again (the same snapshot, the same score)
    before = len(course["calls"])
    rows = grade_course(course_dir, AID, lang="es", device="cpu", students=["cheat"],
                        grade=course["grade"], log=lambda m: None, force=True)
    assert len(course["calls"]) == before + 1 and rows[0]["score"] == 0


# ------------------------------------------------------------------ fast: no kernel, no grader

def _fake_result(score):
    return {"score": score, "max_score": FULL, "output": "", "execution_time": 0.0,
            "tests": [{"name": "corr2d: x", "score": score, "max_score": 10.0, "status": "passed",
                       "output": "", "visibility": "visible"}]}


def test_partial_regrade_merges_the_csv(tmp_path):
    course = tmp_path / "course"
    for student, text in (("ana", "1"), ("bea", "2"), ("caro", "3")):
        folder = course / "submitted" / student / AID
        folder.mkdir(parents=True)
        (folder / f"{AID}.ipynb").write_text(text)

    def fake(path, assignment, **kw):
        return _fake_result(float(Path(path).read_text()))

    out = tmp_path / "grades.csv"
    grade_course(course, AID, update_gradebook=False, update_autograded=False, grade=fake,
                 csv_path=out, log=lambda m: None)
    with open(out, newline="") as fh:
        assert [(r["student_id"], r["score"]) for r in csv.DictReader(fh)] == \
            [("ana", "1.0"), ("bea", "2.0"), ("caro", "3.0")]
    (course / "submitted" / "bea" / AID / f"{AID}.ipynb").write_text("7")
    grade_course(course, AID, update_gradebook=False, update_autograded=False, grade=fake,
                 csv_path=out, students=["bea"], log=lambda m: None)
    with open(out, newline="") as fh:
        assert [(r["student_id"], r["score"]) for r in csv.DictReader(fh)] == \
            [("ana", "1.0"), ("bea", "7.0"), ("caro", "3.0")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "grades.csv"]   # no temp files left
    # a full run replaces this assignment's rows: a student no longer submitted disappears
    shutil.rmtree(course / "submitted" / "caro")
    grade_course(course, AID, update_gradebook=False, update_autograded=False, grade=fake,
                 csv_path=out, log=lambda m: None)
    with open(out, newline="") as fh:
        assert [r["student_id"] for r in csv.DictReader(fh)] == ["ana", "bea"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand files to another uid")
def test_take_back_removes_links_and_special_files(tmp_path):
    from autograder.nbgrader.kernel_folder import hand_over, take_back
    folder = tmp_path / "nb"
    (folder / "sub").mkdir(parents=True)
    (folder / "nb.ipynb").write_text("{}")
    hand_over(str(folder), 60999)
    assert folder.stat().st_uid == 60999 and (folder / "nb.ipynb").stat().st_uid == 60999
    secret = tmp_path / "secret"
    secret.write_text("s")
    (folder / "sub" / "link").symlink_to(secret)
    os.mkfifo(folder / "fifo")
    (folder / "suid").write_text("x")
    os.chmod(folder / "suid", 0o4777)
    os.chown(folder / "suid", 60999, 60999)
    (folder / "nb.ipynb").unlink()
    (folder / "nb.ipynb").symlink_to(secret)                    # nbgrader would write through it
    take_back(str(folder), (os.geteuid(), os.getegid()), keep_regular=["nb.ipynb"])
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert names == ["sub", "suid"]
    for p in [folder, folder / "sub", folder / "suid"]:
        st = p.lstat()
        assert st.st_uid == os.geteuid() and not st.st_mode & 0o7022, (p, oct(st.st_mode))
    assert secret.read_text() == "s"


def test_hidden_score_prints_the_trusted_view(tmp_path, monkeypatch, capsys):
    from autograder.nbgrader.grade_cells import hook_view
    from autograder.nbgrader_hook import HookError, hidden_score
    result = _fake_result(4.0)
    result["tests"][0]["status"] = "failed"
    result["tests"][0]["output"] = "corr2d devuelve otra forma"
    view = tmp_path / "view.json"
    view.write_text(json.dumps(hook_view(result, AID, AID, "abc", "es")))
    monkeypatch.setenv("AUTOGRADER_HOOK_RESULTS", str(view))
    assert hidden_score(AID, "corr2d") == 4.0
    assert hidden_score(AID, "learn_kernel") == 0.0
    out = capsys.readouterr().out
    assert "corr2d: 4 / 10 puntos" in out and "corr2d devuelve otra forma" in out
    with pytest.raises(HookError):
        hidden_score("ps2_conv2d", "Conv2D")               # a view of another assignment
    view.write_text(json.dumps({"assignment": AID, "error": "se agotó el tiempo"}))
    with pytest.raises(HookError, match="se agotó el tiempo"):
        hidden_score(AID, "corr2d")


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.sandbox
def test_hidden_score_without_view_grades_the_notebook(tmp_path, monkeypatch, capsys):
    """An unconfined kernel (nbgrader validate, an instructor's own run): the hook grades the
    notebook file itself, in a fresh process, cached."""
    from autograder import nbgrader_hook
    from autograder.nbgrader import unconfined
    monkeypatch.delenv("AUTOGRADER_HOOK_RESULTS", raising=False)
    monkeypatch.setenv("AUTOGRADER_NOTEBOOK", str(REPO / "examples" / AID / "perfecta.ipynb"))
    monkeypatch.setenv("AUTOGRADER_DEVICE", "cpu")
    monkeypatch.setattr(unconfined, "_cache_dir", lambda: tmp_path)
    assert nbgrader_hook.hidden_score(AID, "corr2d") == POINTS[AID]["corr2d"]
    assert "Todas las pruebas ocultas de corr2d pasan" in capsys.readouterr().out
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_kernel_zygote_binds_only_the_kernels_folder(tmp_path):
    from autograder import sandbox
    from autograder.nbgrader.kernel import HOOK_PACKAGE, zygote_command
    course = tmp_path / "course"
    nb_dir = course / "autograded" / "ana" / AID
    nb_dir.mkdir(parents=True)
    shared = "/var/tmp/agkz-x"
    cmd = zygote_command(7, shared=shared, notebook_dir=str(nb_dir), env={"FASHION_MNIST_DIR": str(course)})
    opts = cmd[:cmd.index("--")]
    binds = [(opts[i], opts[i + 1], opts[i + 2]) for i in range(len(opts) - 2)
             if opts[i] in ("--bind", "--ro-bind")]
    assert [(src, dst) for kind, src, dst in binds if kind == "--bind"] == [(shared, shared)]
    hook = str(REPO / "autograder" / "sandboxed" / "kernel_hook.py")
    assert ("--ro-bind", hook, f"{HOOK_PACKAGE}/nbgrader_hook.py") in binds
    sources = [src for _, src, _ in binds]
    assert str(course) not in sources and str(nb_dir) not in sources   # the data folder holds the course
    assert not any(s.startswith(str(REPO / "reference")) or s == str(REPO / "autograder") for s in sources)
    assert f"{sandbox.SANDBOX_ROOT}/{sandbox.WORKER_PACKAGE}" not in opts
    assert opts.count("--chdir") == 1 and opts[opts.index("--chdir") + 1] == "/tmp"
    assert "--unshare-net" in opts and "--clearenv" in opts
    assert "FASHION_MNIST_DIR" not in opts
    boot = json.loads(cmd[cmd.index("--") + 8])              # exe, -S, -E, -s, -B, -c, CODE, CONFIG
    assert (boot["package"], boot["entry"], boot["uid"], boot["rlimits"]) == ("agkernel", "preloaded", None, [])
    assert tuple(boot["uids"]) == sandbox.KERNEL_UIDS
    assert cmd[-1] == "7"


def test_kernel_folder_copies_in_and_back_never_through_links(tmp_path):
    from autograder.nbgrader.kernel_folder import copy_back, copy_in
    folder, work, secret = tmp_path / "nb", tmp_path / "work", tmp_path / "secret"
    (folder / "cursocnn").mkdir(parents=True)
    (folder / f"{AID}.ipynb").write_text("{}")
    (folder / "cursocnn" / "kit.py").write_text("x = 1")
    secret.write_text("s")
    (folder / "leak").symlink_to(secret)                        # a link the student submitted
    os.mkfifo(folder / "fifo")
    work.mkdir()
    copied = copy_in(str(folder), str(work), os.geteuid())
    assert sorted(copied) == ["cursocnn/kit.py", f"{AID}.ipynb"]
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == ["cursocnn", "cursocnn/kit.py", f"{AID}.ipynb"]
    # what a kernel leaves: a new file, a changed one, a link and a fifo, its own notebook rewritten
    (work / "mine.txt").write_text("mine")
    (work / "cursocnn" / "kit.py").write_text("x = 2, changed")
    (work / "out").mkdir()
    (work / "out" / "to-secret").symlink_to(secret)
    os.mkfifo(work / "pipe")
    (work / f"{AID}.ipynb").write_text("solved")
    (work / "leak").write_text("through the submitted link?")   # nbgrader's folder has a link there
    written = copy_back(str(work), str(folder), copied, skip=[f"{AID}.ipynb"])
    assert sorted(written) == ["cursocnn/kit.py", "leak", "mine.txt"]
    assert (folder / "mine.txt").read_text() == "mine"
    assert (folder / "cursocnn" / "kit.py").read_text() == "x = 2, changed"
    assert (folder / f"{AID}.ipynb").read_text() == "{}"
    assert not (folder / "leak").is_symlink() and secret.read_text() == "s"
    assert (folder / "out").is_dir() and not os.path.lexists(folder / "out" / "to-secret")
    assert not os.path.lexists(folder / "pipe")


def test_a_kernel_of_its_own_binds_only_its_folders(tmp_path):
    """bwrap-userns (an ordinary user: one uid in the namespace, so one sandbox per kernel): its
    working copy and socket folder writable, its grading view read-only, nothing of the course."""
    from autograder import sandbox
    from autograder.nbgrader.kernel import kernel_policy
    course = tmp_path / "course"
    nb_dir = course / "autograded" / "ana" / AID
    nb_dir.mkdir(parents=True)
    home = "/var/tmp/agkz-y"
    cmd = sandbox.bwrap_argv(kernel_policy(work=f"{home}/work", ipc=f"{home}/ipc",
                                           hook_results=f"{home}/hook-results.json", notebook_dir=str(nb_dir),
                                           env={"FASHION_MNIST_DIR": str(course)}), ["-f", f"{home}/ipc/k.json"])
    opts = cmd[:cmd.index("--")]
    binds = [(opts[i], opts[i + 1], opts[i + 2]) for i in range(len(opts) - 2)
             if opts[i] in ("--bind", "--ro-bind")]
    assert [(src, dst) for kind, src, dst in binds if kind == "--bind"] == \
        [(f"{home}/work", f"{home}/work"), (f"{home}/ipc", f"{home}/ipc")]
    assert ("--ro-bind", f"{home}/hook-results.json", f"{home}/hook-results.json") in binds
    sources = [src for _, src, _ in binds]
    assert str(course) not in sources and str(nb_dir) not in sources
    assert not any(s.startswith(str(REPO / "reference")) or s == str(REPO / "autograder") for s in sources)
    assert opts[opts.index("--chdir") + 1] == f"{home}/work"
    boot = json.loads(cmd[cmd.index("--") + 8])
    assert (boot["package"], boot["entry"], boot["uid"]) == ("agkernel", "main", None)
    assert dict((name, soft) for name, soft, _ in boot["rlimits"])["RLIMIT_CPU"] > 0   # confined by its boot
    assert cmd[-2:] == ["-f", f"{home}/ipc/k.json"]


def test_a_landlock_kernel_writes_only_its_folders_and_reads_no_grader(tmp_path):
    from autograder.nbgrader.kernel import landlock_kernel_command, landlock_kernel_env
    home = tmp_path / "k"
    work, ipc, scratch = (str(home / n) for n in ("work", "ipc", "tmp"))
    cmd = landlock_kernel_command(["-f", f"{ipc}/k.json"], work=work, ipc=ipc, scratch=scratch,
                                  hook_results=str(home / "hook-results.json"), notebook_dir=str(tmp_path / "nb"))
    boot = json.loads(cmd[7])                                    # exe, -S, -E, -s, -B, -c, CODE, CONFIG
    rules = boot["landlock"]
    assert rules["write"] == [work, ipc, scratch, "/dev/null"]
    repo = str(REPO)
    for path in rules["read"] + boot["front"]:
        # the venv may live in the checkout; nothing else of it (reference/, the grader, the suites)
        assert not path.startswith(repo + "/") or path.startswith(repo + "/.venv/"), path
        assert not path.endswith(("/autograder", "/reference")), path
    assert str(home / "hook-results.json") in rules["read"]
    assert (boot["package"], boot["entry"]) == ("agkernel", "main")
    env = landlock_kernel_env(scratch, {"AUTOGRADER_LANG": "es"})
    assert env["HOME"] == env["TMPDIR"] == scratch and env["AUTOGRADER_LANG"] == "es"
    assert not {"PYTHONPATH", "VIRTUAL_ENV"} & set(env)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0,
                    reason="runs as root, where bwrap and Landlock are switched off by configuration")
@pytest.mark.nbgrader
@pytest.mark.sandbox("root")   # its last step grades again, confined as root
def test_without_confinement_autograde_refuses_in_one_line_or_grades_marked_unconfined(tmp_path, monkeypatch):
    """Nothing confines student code (bwrap stands in as /bin/false, Landlock switched off):
    `nbgrader autograde` stops before any notebook with one line and no traceback; with
    require_confinement = False it grades, and the results say 'unconfined'."""
    import subprocess

    from nbgrader_course import VENV_BIN
    course, env, release, solutions = released_course(tmp_path, AID)
    env.update(AUTOGRADER_BWRAP="/bin/false", AUTOGRADER_LANDLOCK="0")
    honest = json.loads(json.dumps(release))
    for cell in honest["cells"]:
        if _gid(cell) in solutions:
            cell["source"] = solutions[_gid(cell)]
    _write(course, "honest", honest)
    refused = subprocess.run([str(VENV_BIN / "nbgrader"), "autograde", AID], cwd=course, env=env,
                             capture_output=True, text=True, timeout=600)
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if "| ERROR]" in line]
    assert errors and "no confinement for student code" in errors[0] and "require_confinement = False" in errors[0]
    assert "Traceback" not in refused.stderr and "Converting notebook" not in refused.stderr
    assert not (course / "autograded" / "honest").exists()

    cfg = course / "nbgrader_config.py"
    cfg.write_text(cfg.read_text() + "\nc.ConfinedKernelManager.require_confinement = False\n")
    done = _nbgrader(course, "autograde", AID, env=env)
    assert "UNCONFINED" in done.stderr
    assert _gradebook_scores(course, "honest") == {f"test_{o}": float(p) for o, p in POINTS[AID].items()}
    nb = json.loads((course / "autograded" / "honest" / AID / f"{AID}.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["autograder"]["confinement"] == "unconfined"
    # the hardened pass, unconfined too, reuses that grading and says so
    from autograder.grading import engine
    from autograder.nbgrader import trusted_grading
    monkeypatch.setattr(trusted_grading, "_MEMO", {})       # this process graded the same bytes confined
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "none")
    rows = grade_course(course, AID, lang="es", device="cpu", log=lambda m: None, out_dir=tmp_path / "out",
                        grade=engine.grade)
    res = json.loads((tmp_path / "out" / "honest" / "results.json").read_text(encoding="utf-8"))
    assert rows[0]["state"] == "resumed" and rows[0]["score"] == FULL
    assert res["extra_data"]["confinement"] == "unconfined"
    # ... and once confinement is there, that unconfined grade is not reused: graded again, confined
    monkeypatch.delenv("AUTOGRADER_SANDBOX")
    rows = grade_course(course, AID, lang="es", device="cpu", log=lambda m: None, out_dir=tmp_path / "out2",
                        grade=engine.grade)
    res = json.loads((tmp_path / "out2" / "honest" / "results.json").read_text(encoding="utf-8"))
    assert rows[0]["state"] != "resumed" and rows[0]["score"] == FULL
    assert res["extra_data"]["confinement"] == "bwrap-root"
