"""The course's warm grading service: what each `nbgrader autograde` command would otherwise start
afresh, kept alive between commands for a while.

Formgrader's Autograde button runs one command per student. Each command used to pay, before its
one notebook, the grading interpreter (torch, pytest, the grader workers' zygote) and the kernels'
sandbox (ipykernel, torch, torchvision, matplotlib): ~14 s of CPU, more than plain nbgrader spends
on the whole notebook. The first command that needs them starts this service, detached; the next
commands use it:

* `grade`: engine.grade of a snapshot, in the service (the grading interpreter of
  autograder/nbgrader/trusted_grading.py, long-lived); the grader's progress lines (ps5's training)
  come back to the command as they are printed;
* `kernels` + `zygote`: the kernels' zygote (autograder/nbgrader/kernel.py, root mode) lives in
  the service; the command sends the zygote's own requests (spawn, kill) and their fds through it.

Trust: the service is trusted code run by the instructor, like the command. Its socket lives in
the course's store (`autograded/.autograder/`, 0700, never visible to a kernel), and a peer of
another uid is refused (SO_PEERCRED). A client uses the service only when its key matches: the
grader's code (nbgrader/trusted_grading.fingerprint), the interpreter, the uid and the settings in the
environment (AUTOGRADER_*, CNN_*, FASHION_MNIST_DIR, ...); otherwise it stops it and starts a new
one. The service exits after $AUTOGRADER_WARM_SECONDS (default 600) without a client, when its
store disappears, or on `python -m autograder.nbgrader.warm stop STORE`. AUTOGRADER_WARM_SECONDS=0:
no service, each command starts its own interpreter and sandbox (as before).

Messages: one JSON object per SOCK_SEQPACKET datagram, fds by SCM_RIGHTS.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder.nbgrader.warm_client import (
    DEFAULT_SECONDS,
    LOG,
    SOCKET,
    _recv,
    _send,
    _short,
    idle_seconds,
    status,
    stop,
)


class _Service:
    def __init__(self, store: Path, key: str):
        self.store, self.key = store, key
        self.grading = threading.Lock()
        self.clients = 0
        self.last = time.monotonic()
        self.stopping = False
        self.current = None          # the connection whose grading is running (progress lines)
        self.zygote = None
        self.zygote_key = None
        self.zygote_lock = threading.Lock()

    # -- progress: the grader prints "[autograder] ..." on stderr (fd 2), read back here

    def relay_stderr(self):
        r, w = os.pipe()
        os.dup2(w, 2)
        os.close(w)
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115 - the service's stderr for good
        log = open(self.store / LOG, "ab", buffering=0)  # noqa: SIM115 - written by the pump while the service lives

        def pump():
            buf = b""
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    return
                log.write(chunk)
                buf += chunk
                *lines, buf = buf.split(b"\n")
                conn = self.current
                for line in lines:
                    if conn is not None and line.startswith(b"[autograder] "):
                        try:
                            _send(conn, {"progress": line.decode("utf-8", "replace")[:500]})
                        except OSError:
                            pass

        threading.Thread(target=pump, daemon=True, name="warm-stderr").start()

    def handle(self, conn):
        kernels: dict = {}     # pid -> uid of the kernels this client started and has not killed
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _, uid, _ = struct.unpack("3i", creds)
            if uid != os.geteuid():
                return
            while not self.stopping:
                try:
                    msg, fds = _recv(conn, maxfds=8)
                except (EOFError, OSError, ValueError):
                    return
                self.last = time.monotonic()
                try:
                    reply = self.serve_one(conn, msg, fds)
                    self._track(kernels, msg, reply)
                except Exception as exc:  # noqa: BLE001 - the client gets the error, the service lives on
                    reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                finally:
                    for fd in fds:
                        os.close(fd)
                try:
                    _send(conn, reply)
                except OSError:
                    return
                self.last = time.monotonic()
        finally:
            conn.close()
            self._reap(kernels)
            self.clients -= 1
            self.last = time.monotonic()

    @staticmethod
    def _track(kernels, msg, reply):
        inner = msg.get("message") or {}
        if msg.get("op") != "zygote" or not reply.get("ok"):
            return
        if inner.get("op") == "spawn":
            kernels[reply["pid"]] = reply["uid"]
        elif inner.get("op") == "kill":
            kernels.pop(inner.get("pid"), None)

    def _reap(self, kernels):
        """A command that went away (killed, interrupted) leaves no kernel behind: as when the
        kernels' zygote died with the command."""
        with self.zygote_lock:
            zygote = self.zygote
        for pid, uid in kernels.items():
            try:
                zygote.sandbox.request({"op": "kill", "uid": uid, "pid": pid})
            except Exception:  # noqa: BLE001 - the zygote is gone, its kernels with it
                pass

    def serve_one(self, conn, msg, fds) -> dict:
        op = msg.get("op")
        if op == "hello":
            return {"ok": True, "key": self.key, "pid": os.getpid()}
        if op == "stop":
            self.stopping = True
            return {"ok": True}
        if op == "grade":
            from autograder.grading import engine
            from autograder.grading.result_files import write_json_atomic
            with self.grading:
                self.current = conn
                try:
                    result = engine.grade(msg["path"], msg["assignment"], lang=msg["lang"], device=msg["device"])
                finally:
                    sys.stderr.flush()
                    time.sleep(0.05)    # the last progress lines reach the pump first
                    self.current = None
            write_json_atomic(msg["out"], result)
            return {"ok": True}
        if op == "kernels":
            return self.kernels(msg.get("notebook_dir") or "", dict(msg.get("env") or {}))
        if op == "zygote":
            with self.zygote_lock:
                zygote = self.zygote
            if zygote is None or not zygote.usable():
                return {"ok": False, "error": "no kernels' zygote"}
            return zygote.sandbox.request(msg["message"], fds, timeout=float(msg.get("timeout") or 30))
        return {"ok": False, "error": f"unknown op {op!r}"}

    def kernels(self, notebook_dir: str, env: dict) -> dict:
        from autograder.nbgrader import kernel as nbgrader_kernel
        key = json.dumps([sorted(env.items()), nbgrader_kernel._data_dir(dict(env), [notebook_dir])])
        with self.zygote_lock:
            if self.zygote is not None and (self.zygote_key != key or not self.zygote.usable()):
                self.zygote.close()
                self.zygote = None
            if self.zygote is None:
                self.zygote = nbgrader_kernel.KernelZygote(notebook_dir, env)
                self.zygote_key = key
            return {"ok": True, "shared": self.zygote.shared}

    def run(self):
        fd = os.open(self.store, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        old = os.umask(0o177)
        try:
            listener.bind(_short(fd, SOCKET))
        finally:
            os.umask(old)
        listener.listen(8)
        listener.settimeout(1.0)
        idle = idle_seconds() or DEFAULT_SECONDS
        try:
            while not self.stopping:
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    if not os.path.isdir(self.store) or \
                            (self.clients == 0 and time.monotonic() - self.last > idle):
                        break
                    continue
                self.clients += 1
                threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
        finally:
            listener.close()
            try:
                if os.stat(_short(fd, SOCKET)).st_ino:
                    os.unlink(_short(fd, SOCKET))
            except OSError:
                pass
            os.close(fd)
            if self.zygote is not None:
                self.zygote.close()


def serve(store: str, key: str) -> None:
    """Entry point of the detached service (started by _connect_or_start)."""
    import shutil
    work = tempfile.mkdtemp(prefix="cnn-warm-")
    os.chdir(work)
    service = _Service(Path(store), key)
    service.relay_stderr()
    try:
        service.run()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os._exit(0)


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] == "stop":
        print("stopped" if stop(args[1]) else "no service running")
        return 0
    if len(args) == 2 and args[0] == "status":
        found = status(args[1])
        print(f"running, pid {found['pid']}" if found else "no service running")
        return 0
    print("usage: python -m autograder.nbgrader.warm status|stop COURSE/autograded/.autograder", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
