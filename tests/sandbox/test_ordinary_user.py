"""What an instructor who is not root gets (issue 20): `autograder grade` confines student code
in a user namespace (or, where those are blocked, with Landlock), says so, and the escape
attempts write nothing and read nothing; without any confinement it refuses, unless
--unconfined, which marks every result.

The test creates an ordinary user, copies this checkout into its home and builds its own venv
from Debian's python3 with the README's set-up (`make setup`, a few minutes the first time: root's
Python lives in root's home, unreadable to others). Runs as root only (to create the user).
"""
import json
import os
import pwd
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER = os.environ.get("AUTOGRADER_TEST_USER", "agraderci")  # an existing one is reused
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser")
                       or not os.path.exists(SYSTEM_PYTHON),
                       reason="needs root (to create an ordinary user), useradd, runuser and Debian's python3"),
]


def _as_user(home, *cmd, env=None, timeout=900, check=True, cwd=None):
    base = {"HOME": str(home), "PATH": f"{home}/repo/.venv/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    for key in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if os.environ.get(key):
            base[key] = os.environ[key]
    base.update(env or {})
    full = ["runuser", "-u", USER, "--", "env", "-i", *[f"{k}={v}" for k, v in base.items()], *cmd]
    done = subprocess.run(full, cwd=cwd or f"{home}/repo", capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def user_checkout():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True)
    home = Path(pwd.getpwnam(USER).pw_dir)
    repo = home / "repo"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.split(b"\0")
    for rel in [f.decode() for f in files if f]:
        src, dst = ROOT / rel, repo / rel
        if src.is_symlink() or src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.is_symlink() or dst.exists():
                dst.unlink()
            if src.is_symlink():
                dst.symlink_to(os.readlink(src))
            else:
                shutil.copy2(src, dst)
    subprocess.run(["chown", "-R", f"{USER}:{USER}", str(home)], check=True)
    _as_user(home, "make", "setup", f"PYTHON={SYSTEM_PYTHON}", timeout=1500)
    return home


SCRIPT = r'''
import json, os, socket, sys
from autograder.sandbox import Session, confinement_label
out = {"label": confinement_label()}
home, repo, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def cheat(name):
    src = open(os.path.join(repo, "tests", "corpus", "cheats", name + ".py")).read()
    return Session(src, "ps1_corr2d")
def attempt(s, fn, *args):
    try:
        return ["ok", repr(s.call("call_function", fn, *args, timeout=30))[:200]]
    except Exception as exc:
        return ["refused", type(exc).__name__ + ": " + str(exc)[:200]]
with cheat("write_outside") as s:
    out["isolation"] = s.isolation
    out["write_home"] = attempt(s, "write_file", os.path.join(home, "escaped.txt"), "x")
    out["write_repo"] = attempt(s, "write_file", os.path.join(repo, "reference", "planted.py"), "x")
    out["write_tmp"] = attempt(s, "write_file", "/tmp/own_scratch.txt", "x")
with cheat("snoop_files") as s:
    out["read_reference"] = attempt(s, "read_file", os.path.join(repo, "reference", "ps1_corr2d.py"))
    out["read_suite"] = attempt(s, "read_file", os.path.join(repo, "autograder", "suites", "test_ps1_corr2d.py"))
peer_src = "import os\ndef pids():\n    return len([p for p in os.listdir('/proc') if p.isdigit()])\n" \
           "def me():\n    return os.getpid()\n" \
           "def connect(port):\n    import socket\n" \
           "    s = socket.create_connection(('127.0.0.1', port), timeout=3)\n    return 'connected'\n" \
           "def signal(pid):\n    os.kill(pid, 0)\n    return 'signalled'\n" \
           "def udp(port):\n    import socket\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" \
           "    s.sendto(b'escaped', ('127.0.0.1', port))\n    return 'sent'\n"
with Session(peer_src, "ps1_corr2d") as a, Session(peer_src, "ps1_corr2d") as b:
    out["pids_a"] = attempt(a, "pids")
    out["pids_b"] = attempt(b, "pids")
    out["network"] = attempt(b, "connect", port)
    out["signal_a"] = attempt(b, "signal", a.proc.pid)
    out["udp"] = attempt(b, "udp", int(sys.argv[4]))
print(json.dumps(out))
'''


@pytest.mark.parametrize("mode,env", [("userns", {}),
                                      ("landlock", {"AUTOGRADER_BWRAP": "/bin/false"})],
                         ids=["user-namespaces", "namespaces-blocked-landlock"])
def test_an_ordinary_user_grades_confined_and_escapes_fail(user_checkout, mode, env):
    """With user namespaces (bwrap-userns) and where they are blocked (Landlock: bwrap stands
    in as /bin/false): the escapes write nothing and read nothing."""
    if mode == "landlock":
        from autograder.sandboxed.worker.confine import landlock_abi
        if landlock_abi() < 4:
            pytest.skip("this kernel has no Landlock ABI 4")
    home = user_checkout
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    datagrams = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    datagrams.bind(("127.0.0.1", 0))
    datagrams.settimeout(0.5)
    script = home / "probe_escapes.py"
    script.write_text(SCRIPT, encoding="utf-8")
    os.chown(script, pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
    done = _as_user(home, f"{home}/repo/.venv/bin/python", str(script), str(home), str(home / "repo"),
                    str(listener.getsockname()[1]), str(datagrams.getsockname()[1]), env=env)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["isolation"] == mode and out["label"] == {"userns": "bwrap-userns"}.get(mode, mode), out
    for key in ("write_home", "write_repo", "read_reference", "read_suite", "network"):
        assert out[key][0] == "refused", (key, out[key])
    if mode == "userns":
        assert out["write_tmp"][0] == "ok"                   # its private /tmp works
        assert int(out["pids_a"][1]) <= 3 and int(out["pids_b"][1]) <= 3  # each sees its own sandbox
    else:
        assert out["write_tmp"][0] == "refused"              # only its own scratch folder is writable
        assert out["signal_a"][0] == "refused"               # no signal outside its own domain
        assert out["pids_a"][0] == "refused"                 # nor a list of the host's processes
        assert out["udp"][0] == "refused"                    # seccomp: unix sockets only
    # (in a network namespace a datagram goes to the sandbox's own loopback: nobody is there)
    assert not (home / "escaped.txt").exists() and not (home / "repo" / "reference" / "planted.py").exists()
    assert not accepted                                      # nothing reached the host's loopback
    with pytest.raises(socket.timeout):
        datagrams.recvfrom(100)                              # no datagram either (seccomp, net ns)
    datagrams.close()
    listener.close()


@pytest.mark.parametrize("label,env,said", [
    ("bwrap-userns", {}, "espacio de nombres de usuario"),
    ("landlock", {"AUTOGRADER_BWRAP": "/bin/false"}, "Landlock (cuenta sin espacios de nombres"),
], ids=["user-namespaces", "namespaces-blocked-landlock"])
def test_an_ordinary_users_batch_is_graded_as_root_grades_it(user_checkout, label, env, said):
    """Honest files and allow-list cheats of ps1, graded by the ordinary user: the same scores
    as root's baseline, each result marked with its confinement, the table says which."""
    if label == "landlock":
        from autograder.sandboxed.worker.confine import landlock_abi
        if landlock_abi() < 4:
            pytest.skip("this kernel has no Landlock ABI 4")
    home = user_checkout
    baseline = json.loads((ROOT / "tests" / "corpus_scores.json").read_text())
    cheats = sorted((ROOT / "tests" / "corpus" / "cheats" / "allowlist").glob("ps1_*.py"))[:6]
    honest = sorted((ROOT / "tests" / "corpus" / "honest" / "ps1_corr2d").glob("*.py"))[:4]
    paths = [str(home / "repo" / p.relative_to(ROOT)) for p in cheats + honest]
    done = _as_user(home, "autograder", "grade", "-a", "ps1_corr2d", "--out", f"{home}/out", "--force",
                    "--no-report", "--jobs", "2", *paths, env=env)
    assert said in done.stdout, done.stdout[-2000:]
    for p in cheats + honest:
        res = json.loads((home / "out" / p.stem / "results.json").read_text())
        assert res["extra_data"]["confinement"] == label
        key = f"ps1_corr2d:{p.relative_to(ROOT / 'tests' / 'corpus').as_posix()}"
        assert res["score"] == baseline[key]["score"], (p.name, res["score"], baseline[key]["score"])


def test_without_any_confinement_it_refuses_unless_unconfined(user_checkout):
    home = user_checkout
    example = str(home / "repo" / "examples" / "ps1_corr2d" / "perfecta.ipynb")
    shutil.rmtree(home / "out2", ignore_errors=True)
    blocked = {"AUTOGRADER_BWRAP": "/bin/false", "AUTOGRADER_LANDLOCK": "0"}  # an account with nothing
    done = _as_user(home, "autograder", "grade", "-a", "ps1_corr2d", "--out", f"{home}/out2", "--force",
                    example, env=blocked, check=False)
    assert done.returncode == 2 and "bubblewrap" in done.stderr and "--unconfined" in done.stderr
    assert not (home / "out2" / "perfecta" / "results.json").exists()
    done = _as_user(home, "autograder", "grade", "-a", "ps1_corr2d", "--out", f"{home}/out2", "--force",
                    "--unconfined", example, env=blocked)
    assert "NINGUNO (--unconfined)" in done.stdout
    res = json.loads((home / "out2" / "perfecta" / "results.json").read_text())
    assert res["extra_data"]["confinement"] == "unconfined" and res["score"] == 20
    csv_text = (home / "out2" / "grades.csv").read_text()
    assert "confinement" in csv_text.splitlines()[0] and ",unconfined," in csv_text
    assert "SIN aislamiento" in (home / "out2" / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ nbgrader autograde as that user

NB_CHEAT = """import os
ROOT = {root!r}
for path in (ROOT + "/source/ps1_corr2d/ps1_corr2d.ipynb", ROOT + "/gradebook.db", ROOT + "/nbgrader_config.py",
             ROOT + "/submitted/cheat/ps1_corr2d/ps1_corr2d.ipynb", {home!r} + "/escaped.txt",
             {repo!r} + "/reference/planted.py"):
    try:
        open(path, "a").write("x")
        print("WROTE", path)
    except OSError as exc:
        print("blocked", type(exc).__name__)
try:
    print("READ", len(open({repo!r} + "/reference/ps1_corr2d.py").read()))
except OSError as exc:
    print("blocked", type(exc).__name__)
"""


def _class_notebooks(release, solutions):
    """perfect, partial (corr2d only), untouched: the release with solution cells filled."""
    from nbgrader_course import grade_id

    def filled(keep):
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            gid = grade_id(cell)
            if gid in solutions and keep(gid):
                cell["source"] = solutions[gid]
        return nb

    corr2d_only = sorted(g for g in solutions if "corr2d" in g)[:1]
    return {"perfect": filled(lambda g: True), "partial": filled(lambda g: g in corr2d_only),
            "untouched": filled(lambda g: False)}


def _submit(course, student, nb):
    folder = course / "submitted" / student / "ps1_corr2d"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ps1_corr2d.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")
    return folder / "ps1_corr2d.ipynb"


def _hashes(base, skip):
    import hashlib
    out = {}
    for root, dirs, files in os.walk(base):
        rel = os.path.relpath(root, base)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in skip]
        for name in files:
            key = os.path.normpath(os.path.join(rel, name))
            if key not in skip:
                with open(os.path.join(root, name), "rb") as fh:
                    out[key] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.mark.parametrize("label,env,students", [
    ("bwrap-userns", {}, ["perfect", "partial", "untouched"]),
    ("landlock", {"AUTOGRADER_BWRAP": "/bin/false"}, ["perfect"]),
], ids=["user-namespaces", "namespaces-blocked-landlock"])
def test_an_ordinary_users_nbgrader_autograde_gives_roots_scores_and_the_cheat_changes_nothing(
        user_checkout, tmp_path, label, env, students):
    """`nbgrader autograde` run by the ordinary user on a class: each kernel confined in this
    account's mode (said in the log and the notebook), nbgrader's scores equal root's trusted
    grading of the same notebooks, and a cheat that writes into the course, the user's home and
    the checkout changes nothing outside its own autograded folder."""
    if label == "landlock":
        from autograder.sandboxed.worker.confine import landlock_abi
        if landlock_abi() < 4:
            pytest.skip("this kernel has no Landlock ABI 4")
    from nbgrader.api import Gradebook
    from nbgrader_course import released_course

    from autograder.grading import engine
    home = user_checkout
    uid, gid = pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid
    base = home / f"nbclass-{label}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    course, _, release, solutions = released_course(base, "ps1_corr2d")
    notebooks = _class_notebooks(release, solutions)
    for student in students:
        _submit(course, student, notebooks[student])
    cheat = json.loads(json.dumps(notebooks["perfect"]))
    cheat["cells"].insert(0, {"cell_type": "code", "id": "cheat", "execution_count": None, "metadata": {},
                              "outputs": [], "source": NB_CHEAT.format(root=str(course), home=str(home),
                                                                       repo=str(home / "repo"))})
    subprocess.run(["chown", "-R", f"{uid}:{gid}", str(base)], check=True)
    run_env = {"AUTOGRADER_DEVICE": "cpu", "AUTOGRADER_LANG": "es", "TMPDIR": str(base / "tmp"),
               "AUTOGRADER_WARM_SECONDS": "0", **env}

    first = _as_user(home, "nbgrader", "autograde", "ps1_corr2d", env=run_env, cwd=course)
    assert f"student code confined: {label}" in first.stderr, first.stderr[-3000:]
    skip = {"assignments/gradebook.db", "assignments/autograded/cheat", "assignments/autograded/.autograder", "tmp"}
    home_before = sorted(os.listdir(home))
    repo_before = _hashes(home / "repo" / "reference", set())
    cheat_path = _submit(course, "cheat", cheat)
    os.chown(cheat_path, uid, gid)
    for p in (cheat_path.parent, cheat_path.parent / "timestamp.txt", cheat_path.parent.parent):
        os.chown(p, uid, gid)
    before = _hashes(base, skip)                                   # with the cheat's submission
    _as_user(home, "nbgrader", "autograde", "ps1_corr2d", "--student", "cheat", env=run_env, cwd=course)
    assert _hashes(base, skip) == before
    assert _hashes(home / "repo" / "reference", set()) == repo_before
    assert sorted(os.listdir(home)) == home_before
    out = json.loads((course / "autograded" / "cheat" / "ps1_corr2d" / "ps1_corr2d.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for o in out["cells"][0]["outputs"])
    assert "WROTE" not in printed and "READ" not in printed and printed.count("blocked") == 7, printed
    assert out["metadata"]["autograder"]["confinement"] == label

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-humai") as gb:
        got = {s: gb.find_submission("ps1_corr2d", s).score for s in students + ["cheat"]}
    expected = {s: engine.grade(str(course / "submitted" / s / "ps1_corr2d" / "ps1_corr2d.ipynb"), "ps1_corr2d",
                                lang="es", device="cpu")["score"] for s in students + ["cheat"]}
    assert got == expected, (got, expected)
    assert expected["perfect"] == 20 and expected["cheat"] == 20   # the cheat's solutions are right
    if "untouched" in expected:
        assert expected["untouched"] == 0 and 0 < expected["partial"] < 20


# ------------------------------------------------------------------ Dask workers run by that user

DASK_CHEAT = """import os
for _path in ({home!r} + "/escaped_dask.txt", {repo!r} + "/reference/planted_dask.py"):
    try:
        open(_path, "w").write("x")
    except OSError:
        pass
try:
    _stolen = open({repo!r} + "/reference/ps1_corr2d.py").read()
except OSError:
    _stolen = ""
exec(_stolen)   # the solutions, if they could be read
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_workers_run_by_an_ordinary_user_grade_confined(user_checkout):
    """A scheduler and a worker started by the ordinary user (docs/cluster.md): the worker grades
    in that account's mode (bwrap in a user namespace), says so in every result, and a submission
    that tries to plant files and read the solutions gets nothing."""
    home = user_checkout
    port = _free_port()
    base = {"HOME": str(home), "PATH": f"{home}/repo/.venv/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    user = ["runuser", "-u", USER, "--", "env", "-i", *[f"{k}={v}" for k, v in base.items()]]
    logs = home / "dask-logs"
    logs.mkdir(exist_ok=True)
    os.chown(logs, pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
    procs = []
    try:
        for name, cmd in (("scheduler", ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                         "--no-dashboard"]),
                          ("worker", ["dask", "worker", f"tcp://127.0.0.1:{port}", "--host", "127.0.0.1",
                                      "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                      "--preload", "autograder.cluster"])):
            with open(logs / f"{name}.log", "w") as out:     # the child keeps its own copy
                procs.append(subprocess.Popen(user + cmd, cwd=str(home), stdout=out, stderr=subprocess.STDOUT,
                                              start_new_session=True))
        cheat = home / "dask_cheat.py"
        cheat.write_text(DASK_CHEAT.format(home=str(home), repo=str(home / "repo")), encoding="utf-8")
        os.chown(cheat, pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
        example = home / "repo" / "examples" / "ps1_corr2d" / "perfecta.ipynb"
        shutil.rmtree(home / "out-dask", ignore_errors=True)
        done = _as_user(home, "autograder", "grade", "-a", "ps1_corr2d", "--scheduler", f"tcp://127.0.0.1:{port}",
                        "--out", f"{home}/out-dask", "--force", "--no-report", str(example), str(cheat))
        assert "espacio de nombres de usuario" in done.stdout, done.stdout[-2000:]
        perfect = json.loads((home / "out-dask" / "perfecta" / "results.json").read_text())
        stolen = json.loads((home / "out-dask" / "dask_cheat" / "results.json").read_text())
        assert perfect["score"] == 20 and stolen["score"] == 0, (perfect["score"], stolen["score"])
        assert perfect["extra_data"]["confinement"] == stolen["extra_data"]["confinement"] == "bwrap-userns"
        assert not (home / "escaped_dask.txt").exists()
        assert not (home / "repo" / "reference" / "planted_dask.py").exists()
        worker_log = (logs / "worker.log").read_text(errors="replace")
        assert "Traceback" not in worker_log, worker_log[-3000:]
    finally:
        for proc in procs[::-1]:
            try:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, 9)
