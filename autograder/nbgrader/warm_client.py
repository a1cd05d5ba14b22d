"""The side of the course's warm grading service (warm.py) that each nbgrader command runs:
find it (or start it, detached), check it is ours and current (same uid, same grader code and
settings), and ask it to grade or to spawn kernels."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from autograder import locations
from autograder.nbgrader.fingerprint import fingerprint

SOCKET, LOCK, LOG = "warm.sock", "warm.lock", "warm.log"

DEFAULT_SECONDS = 600
START_TIMEOUT = 120.0
_KEY_VARS = ("PATH", "PYTHONPATH", "TMPDIR", "LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES", "FASHION_MNIST_DIR", "TZ")
_KEY_PREFIXES = ("AUTOGRADER_", "CNN_", "OMP_", "TORCH_")
_PKG_PARENT = Path(locations.PACKAGE_PARENT).resolve()


class WarmError(RuntimeError):
    """The service is not there, or failed a request (the command falls back to its own)."""


def idle_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("AUTOGRADER_WARM_SECONDS", DEFAULT_SECONDS)))
    except ValueError:
        return float(DEFAULT_SECONDS)


def service_key() -> str:
    """What a service must share with its client to serve it."""
    env = sorted((k, v) for k, v in os.environ.items()
                 if k in _KEY_VARS or k.startswith(_KEY_PREFIXES) and k != "AUTOGRADER_WARM_SECONDS")
    text = json.dumps([fingerprint(), os.path.realpath(sys.executable), os.geteuid(), env])
    return hashlib.sha256(text.encode()).hexdigest()


def _short(folder_fd: int, name: str) -> str:
    """A short path to name in the folder open as folder_fd: unix socket paths are limited to
    ~107 bytes, and a course may live deeper than that."""
    return f"/proc/self/fd/{folder_fd}/{name}"


def _send(sock, obj, fds=()):
    socket.send_fds(sock, [json.dumps(obj).encode()], list(fds))


def _recv(sock, maxfds=0):
    data, fds, _, _ = socket.recv_fds(sock, 1 << 20, maxfds)
    if not data:
        for fd in fds:
            os.close(fd)
        raise EOFError
    return json.loads(data), fds


# ------------------------------------------------------------------ the client (an nbgrader command)

class WarmClient:
    """One command's connection to the course's service."""

    def __init__(self, store: Path, sock: socket.socket):
        self.store, self.sock = store, sock
        self.lock = threading.Lock()

    def request(self, message: dict, fds=(), timeout: float | None = None, progress=None) -> dict:
        with self.lock:
            try:
                self.sock.settimeout(timeout)
                _send(self.sock, message, fds)
                while True:
                    reply, _ = _recv(self.sock)
                    if "progress" in reply and progress is not None:
                        progress(str(reply["progress"]))
                    elif "progress" not in reply:
                        break
            except (OSError, EOFError, ValueError) as exc:
                self.close()
                raise WarmError(f"the warm service did not answer ({type(exc).__name__}: {exc})") from exc
        if not reply.get("ok"):
            raise WarmError(str(reply.get("error")))
        return reply

    def alive(self) -> bool:
        return self.sock.fileno() >= 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # -- grading

    def grade(self, path, assignment: str, lang: str, device: str, timeout: float, progress=None) -> dict:
        work = self.store / "warm-work"
        work.mkdir(mode=0o700, exist_ok=True)
        out = work / f"result-{os.getpid()}-{time.monotonic_ns()}.json"
        try:
            self.request({"op": "grade", "path": str(path), "assignment": assignment, "lang": lang,
                          "device": device, "out": str(out)}, timeout=timeout, progress=progress)
            return json.loads(out.read_text(encoding="utf-8"))
        finally:
            out.unlink(missing_ok=True)


_clients: dict = {}
_clients_lock = threading.Lock()


def client(store) -> WarmClient | None:
    """This process's connection to the service of the course whose store is `store` (started
    when missing or stale), or None when the service is off or cannot start (the caller then
    does the work itself)."""
    if idle_seconds() <= 0:
        return None
    store = Path(store)
    with _clients_lock:
        found = _clients.get(store)
        if found is not None and found.alive():
            return found
        try:
            found = _connect_or_start(store)
        except (OSError, WarmError) as exc:
            print(f"[autograder] no warm grading service ({exc}); this command starts its own",
                  file=sys.stderr, flush=True)
            return None
        _clients[store] = found
        return found


def _connect(store: Path, key: str) -> WarmClient | None:
    fd = os.open(store, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.settimeout(10)
        sock.connect(_short(fd, SOCKET))
        warm = WarmClient(store, sock)
        reply = warm.request({"op": "hello"}, timeout=10)
    except (OSError, WarmError):
        sock.close()
        return None
    finally:
        os.close(fd)
    if reply.get("key") == key:
        return warm
    try:
        warm.request({"op": "stop"}, timeout=10)   # other code or settings: not ours to use
    except WarmError:
        pass
    warm.close()
    return None


def _connect_or_start(store: Path) -> WarmClient:
    from autograder.nbgrader.snapshot import _private_dir
    _private_dir(store)
    key = service_key()
    found = _connect(store, key)
    if found is not None:
        return found
    with open(store / LOCK, "a") as lock:       # one command starts it; the others wait and connect
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _connect(store, key)
        if found is not None:
            return found
        (store / SOCKET).unlink(missing_ok=True)
        log = open(store / LOG, "ab")  # noqa: SIM115 - handed to the detached service, closed below
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from autograder.nbgrader.warm import serve; serve(sys.argv[2], sys.argv[3])")
        subprocess.Popen([sys.executable, "-c", code, str(_PKG_PARENT), str(store), key],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                         cwd=str(store), close_fds=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.2)
            found = _connect(store, key)
            if found is not None:
                return found
    raise WarmError(f"the service did not start (see {store / LOG})")


def _ask(store, op: str) -> dict | None:
    """One request to the course's service whatever its key; None when none answers."""
    store = Path(store)
    try:
        fd = os.open(store, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.settimeout(10)
        sock.connect(_short(fd, SOCKET))
        return WarmClient(store, sock).request({"op": op}, timeout=10)
    except (OSError, WarmError):
        return None
    finally:
        sock.close()
        os.close(fd)


def status(store) -> dict | None:
    """{"pid", "key"} of the course's running service, or None."""
    return _ask(store, "hello")


def stop(store) -> bool:
    """Stop the course's service; True when one was running."""
    return _ask(store, "stop") is not None


# ------------------------------------------------------------------ the service
