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

ROOT = Path(__file__).resolve().parent.parent
USER = os.environ.get("AUTOGRADER_TEST_USER", "agraderci")  # an existing one is reused
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser")
                       or not os.path.exists(SYSTEM_PYTHON),
                       reason="needs root (to create an ordinary user), useradd, runuser and Debian's python3"),
]


def _as_user(home, *cmd, env=None, timeout=900, check=True):
    base = {"HOME": str(home), "PATH": f"{home}/repo/.venv/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    for key in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if os.environ.get(key):
            base[key] = os.environ[key]
    base.update(env or {})
    full = ["runuser", "-u", USER, "--", "env", "-i", *[f"{k}={v}" for k, v in base.items()], *cmd]
    done = subprocess.run(full, cwd=f"{home}/repo", capture_output=True, text=True, timeout=timeout)
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
        from autograder.worker.confine import landlock_abi
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
        from autograder.worker.confine import landlock_abi
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
