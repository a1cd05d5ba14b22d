"""The sandbox's security properties, each proved with a cheat submission from
tests/corpus/cheats/ run through a Session and the `call_function` probe.

Isolation tests need root and bubblewrap (as in CI: the `sandbox("root")` marker); they skip with
a reason otherwise. Behavioural tests (crashes, timeouts, hostile results) run in whichever mode
is available (`sandbox`). See tests/conftest.py for the markers.
"""
import json
import os
import signal
import socket
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch

from autograder import sandbox
from autograder.intake.submission import load_submission
from autograder.sandbox import Session, StudentCrash, StudentError
from autograder.text.student_notes import crash_detail, note_text

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]
CHEATS = ROOT / "tests" / "corpus" / "cheats"
X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])

def cheat(name, **kw):
    sub = load_submission(CHEATS / f"{name}.py")
    assert sub.fatal is None, sub.fatal
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the fallback warning is tested on its own
        return Session(sub.cells, "ps1_corr2d", **kw)


def assert_recovers(s):
    """The next call after a bad one works (a fresh worker if the old one died)."""
    assert s.call("call_function", "echo", 7, timeout=60) == 7


# ------------------------------------------------------------------ isolation (bwrap)

@pytest.mark.sandbox("root")
def test_zygote_preloads_matplotlib_and_the_kit():
    """What every worker needs is imported once in the zygote, before any student code: a
    worker finds matplotlib (Agg) and the kit's modules already imported."""
    pytest.importorskip("matplotlib")
    code = ("import sys\n"
            "FOUND = sorted(m for m in ('matplotlib.pyplot', 'cursocnn.plots', 'cursocnn.data') if m in sys.modules)\n"
            "import matplotlib\n"
            "BACKEND = matplotlib.get_backend().lower()\n"
            "def found():\n"
            "    return FOUND + [BACKEND]\n")
    with Session([["celda", code]], "ps1_corr2d", isolation="bwrap", zygote=True) as s:
        assert s.call("call_function", "found", timeout=60) == ["cursocnn.data", "cursocnn.plots",
                                                                "matplotlib.pyplot", "agg"]


@pytest.mark.sandbox("root")
def test_worker_is_isolated_and_unprivileged():
    with cheat("snoop_files", isolation="bwrap") as s:
        assert s.isolated
        info = s.call("call_function", "read_file", "/proc/self/status")
        uid = int(info.split("\nUid:")[1].split()[0])
        assert uid != 0
        assert "CapEff:\t0000000000000000" in info
        # private pid namespace: our own pid is tiny and the grader's pid is not visible
        pid1 = s.call("call_function", "read_file", "/proc/1/cmdline")
        assert not pid1.startswith(os.path.realpath("/proc/self/exe"))


@pytest.mark.sandbox("root")
def test_cannot_read_reference_suites_or_other_files():
    secret = ROOT / "reference" / "ps1_corr2d.py"
    assert secret.exists()
    with cheat("snoop_files", isolation="bwrap") as s:
        for path in [secret, ROOT / "autograder" / "sandbox" / "session.py", ROOT / "autograder" / "suites",
                     ROOT / "tests" / "test_sandbox.py", "/etc/hostname", "/root/.bashrc",
                     CHEATS / "snoop_files.py"]:
            with pytest.raises(StudentError) as err:
                s.call("call_function", "read_file", str(path))
            assert err.value.type_name in ("FileNotFoundError", "PermissionError", "IsADirectoryError")
        hits = s.call("call_function", "find_files", timeout=60)
        outside = [h for h in hits if not h.startswith(("/proc", "/opt/autograder/", "/root/.pyenv/"))
                   and "site-packages" not in h]
        assert outside == []
        sp = os.path.dirname(os.path.dirname(torch.__file__))
        assert not [h for h in hits if h.startswith(str(ROOT) + "/") and not h.startswith(sp + "/")]
        assert not [h for h in hits if h.startswith((sp + "/autograder", sp + "/reference"))
                    and not h.startswith(sp + "/autograder/worker")]
        # the worker's own package is visible, under its own name, read-only
        assert "def serve" in s.call("call_function", "read_file", "/opt/autograder/agworker/main.py")


@pytest.mark.sandbox("root")
def test_cannot_write_outside_scratch(tmp_path):
    with cheat("write_outside", isolation="bwrap") as s:
        assert s.call("call_function", "write_file", "/tmp/mine.txt", "ok") == "/tmp/mine.txt"
        assert not Path("/tmp/mine.txt").exists()  # the scratch is private
        for target in ["/opt/autograder/agworker/evil.py", "/usr/evil", str(ROOT / "evil.txt"),
                       str(tmp_path / "evil.txt"), "/evil"]:
            with pytest.raises(StudentError) as err:
                s.call("call_function", "write_file", target, "x")
            assert err.value.type_name in ("PermissionError", "OSError", "FileNotFoundError"), err.value
            assert not Path(target).exists()


@pytest.mark.sandbox("root")
def test_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        with cheat("network", isolation="bwrap") as s:
            for host, p in [("127.0.0.1", port), ("8.8.8.8", 53), ("1.1.1.1", 443)]:
                with pytest.raises(StudentError) as err:
                    s.call("call_function", "connect", host, p)
                assert err.value.type_name in ("OSError", "ConnectionRefusedError", "TimeoutError",
                                               "socket.gaierror", "gaierror"), err.value
    finally:
        server.close()


@pytest.mark.sandbox("root")
def test_kill_parent_init_and_everyone():
    me = os.getpid()
    with cheat("kill_parent", isolation="bwrap") as s:
        for fn in ("kill_parent", "kill_init", "kill_all"):
            try:
                s.call("call_function", fn)
            except (StudentError, StudentCrash):
                pass
            assert_recovers(s)
    os.kill(me, 0)  # still alive


@pytest.mark.sandbox("root")
def test_fork_bomb_is_contained():
    with cheat("fork_bomb", isolation="bwrap", limits={"nproc": 32}) as s:
        with pytest.raises((StudentError, StudentCrash)):
            s.call("call_function", "corr2d", X, K, timeout=20)
        assert_recovers(s)


# ------------------------------------------------------------------ behaviour (any mode)

@pytest.mark.sandbox
def test_exits_and_base_exceptions_fail_one_call_only():
    with cheat("exits") as s:
        with pytest.raises(StudentError) as err:
            s.call("call_function", "corr2d_sys_exit", X, K)
        assert err.value.type_name == "SystemExit"
        for fn, typ in [("corr2d_keyboard", "KeyboardInterrupt"), ("corr2d_base", "Escape")]:
            with pytest.raises(StudentError) as err:
                s.call("call_function", fn, X, K)
            assert err.value.type_name == typ
        assert s.restarts == 0
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "corr2d_os_exit", X, K)
        assert crash.value.reason == "died"
        assert crash_detail("es", crash.value).startswith(
            "el proceso que ejecutaba tu código terminó; código de salida ")
        assert_recovers(s)
        assert s.restarts == 1


@pytest.mark.sandbox
def test_infinite_loop_times_out():
    with cheat("infinite_loop") as s:
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "corr2d", X, K, timeout=2)
        assert crash.value.reason == "timeout"
        assert (crash_detail("es", crash.value), crash_detail("en", crash.value)) == ("más de 2 s", "more than 2 s")
        assert_recovers(s)


@pytest.mark.sandbox
def test_memory_bombs():
    with cheat("memory_bomb", limits={"mem_mb": 2048}) as s:
        for fn, args in [("corr2d", (X, K)), ("list_bomb", ())]:
            with pytest.raises((StudentError, StudentCrash)):
                s.call("call_function", fn, *args, timeout=60)
            assert_recovers(s)


@pytest.mark.sandbox
def test_huge_print_is_capped():
    with cheat("huge_print", limits={"output_bytes": 1 << 20}) as s:
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "corr2d", X, K, timeout=30)
        assert crash.value.reason == "output"
        assert crash_detail("en", crash.value) == "your code printed more than 1024 KB"
        assert len(s.output) <= sandbox.KEEP_OUTPUT
        assert_recovers(s)


@pytest.mark.sandbox
def test_monkeypatching_stays_in_the_worker():
    real_allclose, real_isinstance = torch.allclose, isinstance
    with cheat("monkeypatch") as s:
        out = s.call("call_function", "corr2d", X, K)
        assert type(out) is torch.Tensor
        assert not torch.allclose(out, torch.tensor([[19.0, 25.0], [37.0, 43.0]]))
        with pytest.raises(StudentCrash) as crash:  # its own reply is already poisoned
            s.call("call_function", "patch_encoder")
        assert crash.value.reason == "protocol"
        assert not Path("/tmp/ag_cheat_pwned_encoder").exists()
        assert_recovers(s)
    assert torch.allclose is real_allclose and isinstance is real_isinstance
    assert not torch.allclose(torch.zeros(1), torch.ones(1))


@pytest.mark.sandbox
def test_hostile_results_never_run_code_in_the_grader():
    with cheat("malicious_result") as s:
        try:  # the probe may itself describe unsupported values as data
            out = s.call("call_function", "corr2d_reduce", X, K)
            assert isinstance(out, dict) and "Evil" in str(out.get("__unsupported__"))
        except StudentError as exc:
            assert exc.type_name == "UnsupportedResult"
        try:
            out = s.call("call_function", "corr2d_subclass", X, K)
            assert type(out) is torch.Tensor and torch.equal(out, torch.zeros(2, 2))
        except StudentError as exc:
            assert exc.type_name == "UnsupportedResult"
        for fn in ("corr2d_forged", "corr2d_bigframe"):
            with pytest.raises(StudentCrash) as crash:
                s.call("call_function", fn, X, K)
            assert crash.value.reason == "protocol"
            assert_recovers(s)
    for marker in ("reduce", "subclass"):
        assert not Path(f"/tmp/ag_cheat_pwned_{marker}").exists()


@pytest.mark.sandbox
def test_mutating_inputs_does_not_touch_the_graders_tensors():
    x, k = X.clone(), K.clone()
    with cheat("mutate_inputs") as s:
        s.call("call_function", "corr2d", x, k)
    assert torch.equal(x, X) and torch.equal(k, K)


@pytest.mark.slow
def test_no_silent_fallback(monkeypatch):
    """Without any confinement "auto" refuses with what is missing; only "none" (--unconfined)
    runs student code unconfined, and that submission's notes say so."""
    monkeypatch.setattr(sandbox.session, "confinement_mode", lambda: None)
    for mode in ("auto", "bwrap"):
        with pytest.raises(sandbox.ConfinementUnavailable, match="bubblewrap .*--unconfined"):
            Session("def f():\n    return 1\n", "ps1_corr2d", isolation=mode)
    assert sandbox.confinement_label("auto") == "unavailable"
    with Session("def f():\n    return 1\n", "ps1_corr2d", isolation="none") as s:
        assert s.call("call_function", "f") == 1
        assert ("sandbox_unisolated", {}) in s.load_notes and not s.isolated
    assert sandbox.confinement_label("none") == "unconfined"


def test_an_ordinary_users_mode_is_a_sandbox_per_worker(monkeypatch):
    """userns mode (an ordinary user: bwrap in a user namespace, one uid inside): no zygote and
    no uid of its own, its own sandbox and pid namespace instead."""
    monkeypatch.setattr(sandbox.session, "confinement_mode", lambda: "userns")
    s = Session("def f():\n    return 1\n", "ps1_corr2d", isolation="auto")
    assert s.isolation == "userns" and s.isolated and not s.use_zygote
    assert sandbox.confinement_label("auto") == "bwrap-userns"


# ------------------------------------------------------------------ the zygote (bwrap)

PEER = '''
import os, signal, time


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def me():
    return [os.getpid(), os.getuid(), os.getcwd()]


def kill(pid):
    os.kill(pid, signal.SIGKILL)
    return True


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\\tZ" not in f.read()
    except FileNotFoundError:
        return False


def leave_daemon():
    """Double fork + setsid: a grandchild outside the worker's process group and session."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.close(w)
            while True:
                time.sleep(0.05)
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    return int(os.read(r, 64))


def crash():
    os._exit(3)
'''


def peer(**kw):
    return Session(PEER, "ps1_corr2d", isolation="bwrap", **kw)


@pytest.mark.sandbox("root")
def test_zygote_sessions_cannot_see_or_signal_each_other():
    with peer() as a, peer() as b:
        assert isinstance(a.proc, sandbox.ZygoteChild) and isinstance(b.proc, sandbox.ZygoteChild)
        assert a.proc.zygote is b.proc.zygote
        pid_a, uid_a, cwd_a = a.call("call_function", "me")
        pid_b, uid_b, _ = b.call("call_function", "me")
        assert uid_a != uid_b and 0 not in (uid_a, uid_b) and pid_a != pid_b
        a.call("call_function", "write", "/tmp/secret.txt", "answer-of-a")
        assert a.call("call_function", "read", "/tmp/secret.txt") == "answer-of-a"
        for path in ["/tmp/secret.txt", f"/proc/{pid_a}/cwd/secret.txt", f"/proc/{pid_a}/root/tmp/secret.txt",
                     f"/proc/{pid_a}/environ", f"/proc/{pid_a}/mem"]:
            with pytest.raises(StudentError) as err:
                b.call("call_function", "read", path)
            assert err.value.type_name in ("FileNotFoundError", "PermissionError"), (path, err.value)
        with pytest.raises(StudentError) as err:
            b.call("call_function", "kill", pid_a)
        assert err.value.type_name == "PermissionError"
        with pytest.raises(StudentError):
            b.call("call_function", "kill", 1)
        assert a.call("call_function", "read", "/tmp/secret.txt") == "answer-of-a"
        assert a.restarts == 0 and b.restarts == 0


@pytest.mark.sandbox("root")
def test_zygote_kills_daemons_the_student_leaves_behind():
    with peer() as watcher:
        s = peer()
        with s:
            daemon = s.call("call_function", "leave_daemon")
            assert watcher.call("call_function", "alive", daemon)
        deadline = time.monotonic() + 10
        while watcher.call("call_function", "alive", daemon) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not watcher.call("call_function", "alive", daemon)


@pytest.mark.sandbox("root")
def test_zygote_survives_crashes_and_kills():
    with peer() as s:
        z = s.proc.zygote
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "crash")
        assert crash.value.reason == "died"
        assert s.call("call_function", "me")[1] != 0 and s.restarts == 1
    with cheat("infinite_loop", isolation="bwrap") as s:
        with pytest.raises(StudentCrash):
            s.call("call_function", "corr2d", X, K, timeout=2)
        assert_recovers(s)
    with peer() as s:  # a fresh Session after killed ones, from the same zygote
        assert s.proc.zygote is z and z.alive()
        assert s.call("call_function", "me")[2] == "/tmp"


@pytest.mark.sandbox("root")
def test_zygote_restarts_after_it_dies():
    with peer() as s:
        old = s.proc.zygote
        os.killpg(old.proc.pid, signal.SIGKILL)
        old.proc.wait(10)
        time.sleep(0.5)  # the namespace's init follows bwrap (die-with-parent), then its processes
        with pytest.raises(StudentCrash):
            s.call("call_function", "me", timeout=30)
        assert s.call("call_function", "me", timeout=60)[1] != 0  # a new zygote
        assert s.proc.zygote is not old and s.proc.zygote.alive()


@pytest.mark.sandbox("root")
def test_forked_process_does_not_share_the_zygote():
    with peer() as s:
        s.call("call_function", "me")
        pid = os.fork()
        if pid == 0:
            os._exit(0 if sandbox._zygote is None else 1)
        assert os.waitpid(pid, 0)[1] == 0
        assert sandbox._zygote is s.proc.zygote and s.proc.zygote.alive()


@pytest.mark.sandbox("root")
def test_zygote_startup_is_much_faster_than_a_fresh_sandbox():
    with peer() as s:  # make sure the zygote is up
        s.call("call_function", "me")
    with peer() as s:
        zygote = s.startup_seconds[0]
    with peer(zygote=False) as s:
        assert not isinstance(s.proc, sandbox.ZygoteChild)
        fresh = s.startup_seconds[0]
    print(f"sandbox start-up: fresh {fresh:.3f} s, zygote {zygote:.3f} s, ratio {fresh / zygote:.1f}x")
    assert fresh / zygote >= 5


def test_host_paths_under_tmp_are_not_hidden_by_the_private_tmp(monkeypatch):
    """CI may clone (and create the venv) under /tmp, which the sandbox replaces with a tmpfs:
    such paths must be mounted elsewhere and put on the worker's sys.path there."""
    import json as _json

    import autograder.sandbox as sb
    std, pkgs = sb.policy.python_paths()
    # a name no real checkout has (a clone really at /tmp/ci-clone would mount it already)
    fake = "/tmp/ag-fake-clone-7d1e/.venv/lib/python3.11/site-packages"
    monkeypatch.setattr(sb.policy, "python_paths", lambda: (std, pkgs + [fake]))
    cmd = sb.bwrap_command(3, 4, sb.DEFAULT_LIMITS, None)
    binds = [(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a == "--ro-bind"]
    assert (fake, sb.SANDBOX_ROOT + "/host" + fake) in binds
    assert all(not dst.startswith("/tmp/") for _src, dst in binds)
    cfg = _json.loads(cmd[cmd.index("-c") + 2])
    assert sb.SANDBOX_ROOT + "/host" + fake in cfg["back"] and fake not in cfg["back"]


def _checkout_needles():
    """Host paths that must not be visible in the sandbox: reference/ and the grader (with its
    hidden suites) of this checkout and of the checkout an editable install points to; the bare
    checkout path too, unless the Python environment itself lives inside it (its mount source
    then shows in /proc/self/mountinfo: see docs/security.md)."""
    import importlib.metadata
    import json as _json
    from urllib.parse import unquote, urlparse

    roots = {str(ROOT), os.path.realpath(ROOT)}
    try:
        url = _json.loads(importlib.metadata.distribution("cnn-autograder").read_text("direct_url.json") or "{}")
        if url.get("url", "").startswith("file://"):
            roots.add(unquote(urlparse(url["url"]).path))
    except (importlib.metadata.PackageNotFoundError, ValueError):
        pass
    prefix = os.path.realpath(sys.prefix)
    needles = set()
    for r in roots:
        needles |= {r + "/reference", r + "/autograder"}
        if not (prefix + "/").startswith(r.rstrip("/") + "/"):
            needles.add(r)
    return sorted(needles)


@pytest.mark.sandbox("root")
def test_no_host_checkout_path_is_visible_in_the_sandbox(monkeypatch):
    needles = _checkout_needles()
    with cheat("host_paths", isolation="bwrap", zygote=False) as s:
        assert s.call("call_function", "scan", needles, timeout=60) == []
    # the scan does find an editable install's mapping when it is not masked
    editable = [f for d in sandbox.policy.python_paths()[1] for f in os.listdir(d) if f.startswith("__editable__")]
    if editable:
        monkeypatch.setattr(sandbox.policy, "masked_files", lambda pkgs: [])
        with cheat("host_paths", isolation="bwrap", zygote=False) as s:
            assert any("__editable__" in hit for hit in s.call("call_function", "scan", needles, timeout=60))


def test_editable_mapping_and_install_origins_are_masked():
    pkgs = sandbox.policy.python_paths()[1]
    masked = set(sandbox.policy.masked_files(pkgs))
    cmd = sandbox.bwrap_command(3, 4, sandbox.DEFAULT_LIMITS, None)
    binds = {cmd[i + 2] for i, a in enumerate(cmd) if a == "--ro-bind" and cmd[i + 1] == "/dev/null"}
    assert {sandbox.policy.inside(f) for f in masked} <= binds
    for d in pkgs:
        for name in os.listdir(d):
            path = os.path.join(d, name)
            if name.startswith("__editable__") or name.endswith((".pth", ".egg-link")):
                assert path in masked, path
            if name.endswith(".dist-info") and os.path.exists(os.path.join(path, "direct_url.json")):
                assert os.path.join(path, "direct_url.json") in masked
    # the worker package and the kit are bound from a staged copy, not from the checkout
    # (the Python environment may live in the checkout: it is bound as it is)
    env = [os.path.realpath(sys.prefix)] + sandbox.policy.python_paths()[0] + pkgs
    sources = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"]
    assert not [src for src in sources if src.startswith(str(ROOT) + "/") and not sandbox.policy.under(src, env)]
    assert "--ro-bind" in cmd and any(src.endswith("/agworker") for src in sources)


# ------------------------------------------------------------------ policy and confinement

def test_worker_zygote_and_kernel_share_one_view_and_one_boot(tmp_path):
    """One policy turns into bwrap arguments in one place: the worker, the zygote and the confined
    nbgrader kernel get the same system view and boot through the same confine.py, each with its
    own package, limits and uid."""
    from autograder.nbgrader import kernel as nbgrader_kernel

    def split(cmd):
        at = cmd.index(sandbox.SANDBOX_ROOT) + 1          # the view ends where the boot package starts
        code = cmd.index("--") + 7                        # exe, -S, -E, -s, -B, -c, CODE, CONFIG
        return cmd[:at], cmd[code], json.loads(cmd[code + 1])

    nb = tmp_path / "nb"
    nb.mkdir()
    worker = split(sandbox.bwrap_command(3, 4, sandbox.DEFAULT_LIMITS, 61001))
    zygote = split(sandbox.bwrap_command(5, -1, sandbox.DEFAULT_LIMITS, None, zygote=True))
    kernels = split(nbgrader_kernel.zygote_command(6, shared="/var/tmp/agkz-x", notebook_dir=str(nb)))
    assert worker[0] == zygote[0] == kernels[0]
    assert worker[1] == zygote[1] == kernels[1] and "confine" in worker[1]
    assert (worker[2]["package"], worker[2]["entry"], worker[2]["uid"]) == ("agworker", "main", 61001)
    assert (zygote[2]["rlimits"], zygote[2]["uid"], zygote[2]["entry"]) == ([], None, "zygote")
    assert tuple(zygote[2]["uids"]) == sandbox.WORKER_UIDS
    assert (kernels[2]["package"], kernels[2]["entry"], kernels[2]["rlimits"]) == ("agkernel", "preloaded", [])
    assert tuple(kernels[2]["uids"]) == sandbox.KERNEL_UIDS
    # each kernel is confined by the zygote with these limits
    nofile = {name: soft for name, soft, _ in sandbox.policy.rlimits(nbgrader_kernel.KERNEL_LIMITS)}["RLIMIT_NOFILE"]
    assert nofile == 1024
    first, count = sandbox.KERNEL_UIDS
    assert first <= nbgrader_kernel.pick_uid() < first + count <= sandbox.WORKER_UIDS[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")
@pytest.mark.slow
def test_confine_applies_rlimits_then_drops_every_root_id():
    from autograder.sandboxed.worker import confine
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            confine.confine([["RLIMIT_NOFILE", 64, 64]], 61999)
            import resource
            ids = (os.getuid(), os.geteuid(), os.getgid(), os.getegid(), len(os.getgroups()))
            os.write(w, json.dumps([ids, resource.getrlimit(resource.RLIMIT_NOFILE)]).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r) as f:
        ids, nofile = json.loads(f.read())
    assert ids == [61999, 61999, 61999, 61999, 0] and nofile == [64, 64]
    with pytest.raises(ValueError):
        confine.kill_uid(0)


def test_load_notes_are_data_and_read_in_either_language():
    """The worker's notes hold no text; the trusted side words them in the student's language."""
    from autograder.sandboxed.worker.loader import load_cells
    cells = [["celda 1", "def f(:\n    pass\n"],
             ["celda 2", "import math\nprint(1)\nfor i in range(3):\n    pass\nx = 1 / 0\n"]]
    _, notes = load_cells(cells, {})
    assert [code for code, _ in notes] == ["syntax_error", "exec_error", "skipped"]
    assert "línea" not in json.dumps(notes, ensure_ascii=False)
    assert [note_text("es", n) for n in notes[1:]] == [
        "celda 2, línea 5: ZeroDivisionError: division by zero",
        "celda 2: no se ejecutó al corregir (línea 2: una expresión (llamada, print o gráfico); "
        "línea 3: un bucle for)."]
    assert [note_text("en", n) for n in notes[1:]] == [
        "celda 2, line 5: ZeroDivisionError: division by zero",
        "celda 2: not run when grading (line 2: an expression (a call, print or plot); line 3: a for loop)."]
    crash = StudentCrash("load", "load_failed", crash=["died", "worker_ended", {"exit_code": -9}])
    assert crash_detail("en", crash) == ("the code could not be loaded: died "
                                         "(the process running your code ended; exit code -9)")
    assert note_text("en", ("load_failed", {"crash": crash.fields["crash"]})) == crash_detail("en", crash)
    assert note_text("es", "una nota de submission.py") == "una nota de submission.py"
