"""The sandbox's security properties, each proved with a cheat submission from
tests/corpus/cheats/ run through a Session and the `call_function` probe.

Isolation tests need root and bubblewrap (as in CI); they skip with a reason otherwise.
Behavioural tests (crashes, timeouts, hostile results) run in whichever mode is available.
"""
import os
import signal
import socket
import threading
import warnings
from pathlib import Path

import pytest
import torch

from autograder import sandbox
from autograder.sandbox import Session, StudentCrash, StudentError
from autograder.submission import load_submission

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
CHEATS = ROOT / "tests" / "corpus" / "cheats"
X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])

needs_bwrap = pytest.mark.skipif(not sandbox.bwrap_available(),
                                 reason="needs root and a working /usr/bin/bwrap (CI runs as root)")


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

@needs_bwrap
def test_worker_is_isolated_and_unprivileged():
    with cheat("snoop_files", isolation="bwrap") as s:
        assert s.isolated
        info = s.call("call_function", "read_file", "/proc/self/status")
        uid = int(info.split("\nUid:")[1].split()[0])
        assert uid != 0
        assert "CapEff:\t0000000000000000" in info
        # private pid namespace: our own pid is tiny and the grader's pid is not visible
        assert not s.call("call_function", "read_file", "/proc/1/cmdline").startswith(os.path.realpath("/proc/self/exe"))


@needs_bwrap
def test_cannot_read_reference_suites_or_other_files():
    secret = ROOT / "reference" / "ps1_corr2d.py"
    assert secret.exists()
    with cheat("snoop_files", isolation="bwrap") as s:
        for path in [secret, ROOT / "autograder" / "sandbox.py", ROOT / "autograder" / "suites",
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


@needs_bwrap
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


@needs_bwrap
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


@needs_bwrap
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


@needs_bwrap
def test_fork_bomb_is_contained():
    with cheat("fork_bomb", isolation="bwrap", limits={"nproc": 32}) as s:
        with pytest.raises((StudentError, StudentCrash)):
            s.call("call_function", "corr2d", X, K, timeout=20)
        assert_recovers(s)


# ------------------------------------------------------------------ behaviour (any mode)

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
        assert_recovers(s)
        assert s.restarts == 1


def test_infinite_loop_times_out():
    with cheat("infinite_loop") as s:
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "corr2d", X, K, timeout=2)
        assert crash.value.reason == "timeout"
        assert_recovers(s)


def test_memory_bombs():
    with cheat("memory_bomb", limits={"mem_mb": 2048}) as s:
        for fn, args in [("corr2d", (X, K)), ("list_bomb", ())]:
            with pytest.raises((StudentError, StudentCrash)):
                s.call("call_function", fn, *args, timeout=60)
            assert_recovers(s)


def test_huge_print_is_capped():
    with cheat("huge_print", limits={"output_bytes": 1 << 20}) as s:
        with pytest.raises(StudentCrash) as crash:
            s.call("call_function", "corr2d", X, K, timeout=30)
        assert crash.value.reason == "output"
        assert len(s.output) <= sandbox.KEEP_OUTPUT
        assert_recovers(s)


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


def test_mutating_inputs_does_not_touch_the_graders_tensors():
    x, k = X.clone(), K.clone()
    with cheat("mutate_inputs") as s:
        s.call("call_function", "corr2d", x, k)
    assert torch.equal(x, X) and torch.equal(k, K)


def test_fallback_is_loud(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="isolation unavailable"):
        s = Session("def f():\n    return 1\n", "ps1_corr2d", isolation="auto")
    assert s.isolation == "fallback"
    with pytest.raises(sandbox.SandboxError):
        Session("x = 1\n", "ps1_corr2d", isolation="bwrap")
