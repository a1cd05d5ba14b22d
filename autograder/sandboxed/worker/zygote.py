"""Zygote: runs INSIDE the bwrap sandbox, as the sandbox's root, and never runs student code.

It imports torch and the worker package once, then serves requests from the trusted side on a
control socket (SOCK_SEQPACKET, one JSON message per datagram, fds by SCM_RIGHTS):

  {"op": "spawn", "uid": int|None, "rlimits": [...], "tmp_bytes": int} + fds [req_r, rep_w, out_w]
      -> {"ok": true, "pid": pid, "uid": uid}
     forks a child that gets a private mount and IPC namespace (a fresh tmpfs /tmp and
     /dev/shm), its own session, stdout/stderr on out_w, is confined like a fresh sandbox
     (confine.confine: the rlimits, an unprivileged uid/gid, from the boot configuration's
     "uids" range when none is given), and then runs the ordinary worker loop (main.serve) on
     req_r / rep_w. That is the default kind of child (worker_child); the confined nbgrader
     kernel's zygote (autograder/sandboxed/kernel_boot/preloaded.py) makes ipykernels with the same code.
  {"op": "kill", "uid": uid, "pid": pid}  -> {"ok": true, "status": returncode|None}
     kills every process of that uid (confine.kill_uid: this reaches processes that left the
     process group or the session), then reaps the child.
  {"op": "ping"} -> {"ok": true, "threads": n}

The zygote exits when the control socket closes. It needs only the standard library and torch;
before serving it also imports, when installed, what every worker would otherwise import afresh
(numpy, matplotlib with its non-interactive Agg backend, the course kit `cursocnn`): see
preload(). Those imports run before any child exists, as the sandbox's root, from the read-only
mounts of the Python installation and the kit (the zygote's cwd is its own private /tmp, which no
worker ever sees).
"""
import ctypes
import gc
import json
import os
import random
import select
import signal
import socket
import sys

from . import confine

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _private_mounts(tmp_bytes):
    """New mount + IPC namespace for one child: its /tmp and /dev/shm are fresh tmpfs that no
    other child sees and that vanish with it."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    opts = f"size={int(tmp_bytes)},mode=1777".encode()
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts), "mount /tmp")
    if os.path.isdir("/dev/shm"):
        _check(_libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16777216,mode=1777"),
               "mount /dev/shm")


def _threads():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def worker_child(req, fds):
    """What a worker child is (the default): fds = [request read end, reply write end, output].
    Returns (stdout fd, stderr fd, other fds it keeps, what it runs once confined)."""
    if len(fds) != 3:
        raise ValueError("spawn needs 3 fds")
    rfd, wfd, outfd = fds

    def run():
        # as for a worker started on its own: the protocol fds are the last two arguments
        sys.argv[-2:] = [str(rfd), str(wfd)]
        from .main import serve
        serve(rfd, wfd)

    return outfd, outfd, (rfd, wfd), run


def _child(req, plan, uid):
    """Runs in the forked child, still root: confine, drop privileges, run. Never returns."""
    outfd, errfd, kept, run = plan
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(outfd, 1)
        os.dup2(errfd, 2)
        keep = {0, 1, 2, *kept}
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        _private_mounts(req["tmp_bytes"])
        os.chdir("/tmp")
        confine.confine(req["rlimits"], uid)
        # Every child is a copy of the same process: give each its own random state.
        random.seed()
        np = sys.modules.get("numpy")
        if np is not None:
            np.random.seed()
        gc.unfreeze()
    except BaseException:  # noqa: BLE001 - never run student code half-confined
        os._exit(confine.REFUSED)
    try:
        run()
    finally:
        os._exit(0)


class Zygote:
    def __init__(self, ctl, uids, child=worker_child):
        self.ctl = ctl
        self.uids = uids     # (first, count): the unprivileged uids children get
        self.child = child   # (request, fds) -> what the child is (worker_child)
        self.children = {}   # pid -> uid of live session children
        self.status = {}     # pid -> returncode (Popen convention) of reaped session children
        self.next_uid = 0

    # -- helpers

    def reap(self):
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                del self.children[pid]
                self.status[pid] = -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
                if len(self.status) > 1000:
                    self.status.pop(next(iter(self.status)))

    def alloc_uid(self):
        used = set(self.children.values())
        first, count = self.uids
        for _ in range(count):
            uid = first + self.next_uid % count
            self.next_uid += 1
            if uid not in used:
                return uid
        raise RuntimeError("no free uid")

    # -- ops

    def spawn(self, req, fds):
        plan = self.child(req, fds)
        uid = req.get("uid")
        if uid is None:
            uid = self.alloc_uid()
        uid = int(uid)
        first, count = self.uids
        if not first <= uid < first + count or uid in self.children.values():
            raise ValueError("bad or busy uid")
        confine.kill_uid(uid)  # nothing of a previous user of this uid may survive
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(req, plan, uid)
        self.children[pid] = uid
        return {"ok": True, "pid": pid, "uid": uid}

    def kill(self, req):
        uid, pid = int(req["uid"]), int(req["pid"])
        first, count = self.uids
        if self.children.get(pid, uid) != uid or not first <= uid < first + count:
            raise ValueError("pid/uid mismatch")
        confine.kill_uid(uid)
        if pid in self.children:
            for _ in range(200):
                try:
                    got, st = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if got == pid:
                    del self.children[pid]
                    self.status[pid] = -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
                    break
                select.select([], [], [], 0.01)
        self.reap()
        return {"ok": True, "status": self.status.get(pid)}

    def serve(self):
        self.ctl.sendall(json.dumps({"ok": True, "ready": True, "threads": _threads()}).encode())
        while True:
            ready, _, _ = select.select([self.ctl], [], [], 1.0)
            self.reap()
            if not ready:
                continue
            try:
                msg, fds, _flags, _addr = socket.recv_fds(self.ctl, 1 << 16, 8)
            except OSError:
                return
            if not msg:
                return
            try:
                req = json.loads(msg)
                op = req.get("op")
                if op == "spawn":
                    reply = self.spawn(req, fds)
                elif op == "kill":
                    reply = self.kill(req)
                elif op == "ping":
                    reply = {"ok": True, "threads": _threads(), "children": len(self.children)}
                else:
                    reply = {"ok": False, "error": f"unknown op {op!r}"}
            except Exception as exc:  # noqa: BLE001 - report, keep serving
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            finally:
                for fd in fds:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self.ctl.sendall(json.dumps(reply).encode())


# Imported once here instead of in every worker: what the course's notebooks import (the kit's
# plots module pulls in matplotlib.pyplot, about 1 s per worker otherwise). Each is optional.
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "matplotlib.backends.backend_agg")
KIT = "cursocnn"


def _kit_modules():
    """The kit package and each of its modules (found where the sandbox mounts it)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec(KIT)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    names = [KIT]
    for where in spec.submodule_search_locations:
        try:
            files = sorted(os.listdir(where))
        except OSError:
            continue
        names += [f"{KIT}.{f[:-3]}" for f in files if f.endswith(".py") and not f.startswith("_")]
    return names


def import_optional(names):
    """Import each of `names`, skipping what is missing or broken. Returns the names imported."""
    import importlib
    done = []
    for mod in names:
        try:
            importlib.import_module(mod)
            done.append(mod)
        except Exception:  # noqa: BLE001 - optional: a child imports it itself if it can
            pass
    return done


def preload(extra=()):
    """Import PRELOAD, the kit and extra, skipping what is missing or broken. Returns the names
    imported."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # never probe for a GUI toolkit
    return import_optional((*PRELOAD, *_kit_modules(), *extra))


def main(argv, cfg):
    """Entry point after confine.boot: argv is [CONTROL_FD, ...]; cfg the boot configuration."""
    import torch
    import torch.nn.functional

    from . import main as worker_main  # imports torch, wire, loader, probes once

    worker_main._quiet_threads()
    preload(cfg.get("preload", ()))
    del torch
    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in the children
    ctl = socket.socket(fileno=int(argv[0]))
    try:
        Zygote(ctl, tuple(cfg["uids"])).serve()
    finally:
        os._exit(0)
