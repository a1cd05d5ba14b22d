"""The trusted side of the zygote (bwrap mode): one sandbox per grading process imports torch once
and forks a confined child per worker (autograder/sandboxed/worker/zygote.py runs inside it).

`ZygoteSandbox` starts any zygote from its bwrap command: the workers' one here, the nbgrader
kernels' one in autograder/nbgrader/kernel.py.

Not shared across fork(): a forked grading process forgets the parent's zygote (the parent keeps
using it) and starts its own on its first Session. A keeper thread starts the zygote's bwrap
(bwrap's --die-with-parent follows the thread that started it) and collects its stderr.
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import threading

from .errors import ZygoteError
from .policy import DEFAULT_LIMITS, ENV, bwrap_command

ZYGOTE_START_TIMEOUT = 180.0
ZYGOTE_OP_TIMEOUT = 20.0
ZYGOTE_TMP_MB = 16     # the zygote's own /tmp (children mount their own, of limits["tmp_mb"])


def zygote_enabled(flag):
    if flag is not None:
        return bool(flag)
    return os.environ.get("AUTOGRADER_ZYGOTE", "1").strip().lower() not in ("0", "no", "false", "off")


def worker_zygote_command(fd):
    """The bwrap argv of the grader workers' zygote on control socket fd."""
    return bwrap_command(fd, -1, {**DEFAULT_LIMITS, "tmp_mb": ZYGOTE_TMP_MB}, None, zygote=True)


class ZygoteSandbox:
    """A zygote sandbox started by command(CONTROL_FD) (default: the workers' one)."""

    def __init__(self, command=worker_zygote_command, name="autograder-zygote"):
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.proc = None
        self.dead = False
        self.stderr = b""
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        started = threading.Event()
        err = {}
        cmd = command(theirs.fileno())

        def keeper():
            # bwrap's --die-with-parent follows the thread that started it: a thread that
            # lives as long as the process.
            try:
                self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                             start_new_session=True, cwd="/", env=dict(ENV))
            except OSError as exc:
                err["e"] = exc
                started.set()
                return
            started.set()
            try:
                while True:
                    chunk = self.proc.stderr.read(4096)
                    if not chunk:
                        break
                    self.stderr = (self.stderr + chunk)[-4000:]
            except (OSError, ValueError):
                pass
            self.proc.wait()
            self.dead = True

        self.keeper = threading.Thread(target=keeper, name=name, daemon=True)
        self.keeper.start()
        started.wait()
        theirs.close()
        if "e" in err:
            self.dead = True
            raise ZygoteError(f"bwrap did not start: {err['e']}")
        try:
            ready = self._recv(ZYGOTE_START_TIMEOUT)
        except ZygoteError:
            self.close()
            raise
        if not ready.get("ready"):
            self.close()
            raise ZygoteError(f"unexpected greeting {ready!r}")
        self.threads = ready.get("threads")

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except OSError as exc:  # socket.timeout included
            raise ZygoteError(f"zygote unresponsive ({type(exc).__name__}); stderr: {self.stderr[-500:]!r}")
        if not data:
            raise ZygoteError(f"zygote exited; stderr: {self.stderr[-500:]!r}")
        return json.loads(data)

    def request(self, message, fds=(), timeout=ZYGOTE_OP_TIMEOUT):
        with self.lock:
            if self.dead:
                raise ZygoteError("zygote is dead")
            try:
                self.sock.settimeout(timeout)
                socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
                reply = self._recv(timeout)
            except (OSError, ZygoteError) as exc:
                self._kill_locked()
                raise ZygoteError(str(exc)) from exc
        if not reply.get("ok"):
            raise ZygoteError(str(reply.get("error")))
        return reply

    def alive(self):
        return not self.dead and self.proc is not None and self.proc.poll() is None

    def _kill_locked(self):
        """Last resort: kill the whole sandbox (every child dies with its pid namespace)."""
        self.dead = True
        if self.proc is not None and os.getpid() == self.owner:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self):
        with self.lock:
            self._kill_locked()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


class ZygoteChild:
    """A worker forked by the zygote; quacks like the Popen objects of the other modes."""

    def __init__(self, zygote, pid, uid):
        self.zygote, self.pid, self.uid = zygote, pid, uid
        self.returncode = None
        self.killed = False

    def kill(self):
        if self.killed:
            return
        self.killed = True
        try:
            reply = self.zygote.request({"op": "kill", "uid": self.uid, "pid": self.pid})
            status = reply.get("status")
            self.returncode = -signal.SIGKILL if status is None else status
        except ZygoteError:
            self.returncode = -signal.SIGKILL  # the whole sandbox was killed instead

    def wait(self, timeout=None):
        return self.returncode


_zygote = None
_zygote_lock = threading.Lock()


def get_zygote():
    global _zygote
    with _zygote_lock:
        z = _zygote
        if z is not None and (z.owner != os.getpid() or not z.alive()):
            if z.owner == os.getpid():
                z.close()
            z = _zygote = None
        if z is None:
            z = _zygote = ZygoteSandbox()
        return z


def shutdown_zygote():
    """Stop this process's zygote (it restarts on the next Session). Also run at exit."""
    global _zygote
    with _zygote_lock:
        z, _zygote = _zygote, None
    if z is not None and z.owner == os.getpid():
        z.close()


def _forget_zygote_after_fork():
    global _zygote, _zygote_lock
    _zygote_lock = threading.Lock()
    z, _zygote = _zygote, None
    if z is not None:
        try:
            z.sock.close()  # our copy only: the parent keeps its zygote
        except OSError:
            pass


os.register_at_fork(after_in_child=_forget_zygote_after_fork)
atexit.register(shutdown_zygote)
