"""Trusted side of the probe protocol: start an isolated worker for one submission and call probes.

Isolation (see docs/security.md): when running as root with bubblewrap available, the worker runs
in private mount/pid/ipc/net/uts namespaces, sees only the Python installation, the packages it
needs (read-only), its own package (autograder/worker, mounted alone as `agworker`) and the kit
`cursocnn`, with a private tmpfs as cwd and /tmp; it drops to an unprivileged uid before any
student code runs, under rlimits. Otherwise it falls back to a plain subprocess with rlimits,
and says so loudly (warning + log + a load note).

Student stdout/stderr go to a capped sink; the protocol uses two dedicated pipes; replies are
size-capped and decoded with torch.load(weights_only=True).
"""
from __future__ import annotations

import atexit
import hashlib
import importlib.util
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings

from .worker import wire

log = logging.getLogger(__name__)

MAX_REPLY = 64 << 20
WORKER_PACKAGE = "agworker"          # name of autograder/worker inside the sandbox
SANDBOX_ROOT = "/opt/autograder"     # where the worker package and the kit are mounted

_HERE = os.path.dirname(os.path.abspath(__file__))
_WORKER_DIR = os.path.join(_HERE, "worker")
_REPO_ROOT = os.path.dirname(_HERE)


class StudentError(Exception):
    """The student's code raised inside a probe."""

    def __init__(self, type_name, message, traceback_text=""):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.traceback_text = type_name, message, traceback_text


class StudentCrash(Exception):
    """The worker died, timed out, or broke the protocol while running student code.

    reason: "timeout", "output" (too much printed), "died" (exit, signal, memory/cpu limit),
    "protocol" (unreadable or oversized reply), "load" (the code could not even be loaded),
    "budget" (the submission's time budget is spent, see autograder/budget.py)."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class SandboxError(RuntimeError):
    """The sandbox itself could not start (a grader problem, not the student's)."""


# ------------------------------------------------------------------ configuration

DEFAULT_LIMITS = {
    "mem_mb": 3072,        # RLIMIT_DATA; importing torch alone needs ~750 MB of it
    "cpu_s": 900,          # RLIMIT_CPU over the worker's life (per-call limits are wall-clock)
    "nproc": 64,           # RLIMIT_NPROC for the sandbox uid (threads count)
    "fsize_mb": 64,        # RLIMIT_FSIZE
    "nofile": 256,         # RLIMIT_NOFILE
    "tmp_mb": 256,         # size of the scratch tmpfs (bwrap only)
    "output_bytes": 2 << 20,  # student stdout+stderr beyond this kills the worker
}
KEEP_OUTPUT = 16 << 10  # bytes of student output kept for display

_BOOT = r"""
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
sys.path[:0] = cfg["front"]
sys.path.extend(cfg["back"])
if cfg.get("zygote"):
    import importlib
    importlib.import_module(cfg["package"] + ".zygote").main(int(sys.argv[2]), cfg)
    os._exit(0)
for name, soft, hard in cfg["rlimits"]:
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError):
        pass
if cfg["uid"] is not None and os.getuid() == 0:
    os.setgroups([])
    os.setresgid(cfg["uid"], cfg["uid"], cfg["uid"])
    os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(97)
import importlib
importlib.import_module(cfg["package"] + ".main").main(sys.argv[2:4])
"""

_uid_counter = itertools.count()
_bwrap_ok = None
_warned = False


def _env_mode():
    return os.environ.get("AUTOGRADER_SANDBOX", "auto").strip().lower() or "auto"


def bwrap_available() -> bool:
    """True when running as root and bwrap can create the namespaces we need (tested once)."""
    global _bwrap_ok
    if _bwrap_ok is None:
        exe = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
        if exe is None or os.geteuid() != 0:
            _bwrap_ok = False
        else:
            try:
                r = subprocess.run([exe, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent",
                                    "--ro-bind", "/", "/", "--proc", "/proc", "true"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=20)
                _bwrap_ok = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _bwrap_ok = False
    return _bwrap_ok


def _kit_dir():
    spec = importlib.util.find_spec("cursocnn")
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    cand = os.path.join(_REPO_ROOT, "assignments", "cursocnn")
    return cand if os.path.isdir(cand) else None


def _python_paths():
    """(stdlib dirs, package dirs) the worker needs, as real paths."""
    std = []
    for key in ("stdlib", "platstdlib"):
        p = sysconfig.get_paths().get(key)
        if p and os.path.isdir(p):
            std.append(os.path.realpath(p))
    dyn = os.path.join(std[0], "lib-dynload") if std else None
    if dyn and os.path.isdir(dyn):
        std.append(dyn)
    pkgs = []
    for mod in ("torch", "numpy"):
        spec = importlib.util.find_spec(mod)
        if spec and spec.origin:
            d = os.path.realpath(os.path.dirname(os.path.dirname(spec.origin)))
            if d not in pkgs:
                pkgs.append(d)
    for key in ("purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p and os.path.isdir(p) and os.path.realpath(p) not in pkgs:
            pkgs.append(os.path.realpath(p))
    return list(dict.fromkeys(std)), pkgs


def _under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _inside(path):
    """Where a host path is mounted in the sandbox. The sandbox's /tmp (and each zygote child's)
    is a private tmpfs, so host paths under /tmp (a checkout or venv there, as in CI) are mounted
    under SANDBOX_ROOT/host instead of being hidden by it."""
    return f"{SANDBOX_ROOT}/host{path}" if _under(path, ["/tmp"]) else path


def _names_host_path(path, needles):
    try:
        if os.path.getsize(path) > (2 << 20):
            return False
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return any(n in data for n in needles)


_masks_cache = {}


def _masked_files(pkgs):
    """Files of the mounted package folders that name host paths, to be hidden (bound to
    /dev/null) in the sandbox: an editable install's path mapping (__editable__* finder and
    .pth, *.egg-link, easy-install.pth) names the checkout, i.e. where reference/ and the
    suites live; direct_url.json says where each package was installed from. The worker runs
    with -S, so none of them is needed. Also any other top-level or *-info file that mentions
    the checkout."""
    key = tuple(pkgs)
    if key in _masks_cache:
        return _masks_cache[key]
    root = os.path.realpath(_REPO_ROOT)
    needles = {root.encode(), _REPO_ROOT.encode()}
    found = []
    for d in pkgs:
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_file(follow_symlinks=False):
                    if (e.name.startswith("__editable__") or e.name.endswith((".pth", ".egg-link"))
                            or _names_host_path(e.path, needles)):
                        found.append(e.path)
                elif e.is_dir(follow_symlinks=False) and e.name.endswith((".dist-info", ".egg-info")):
                    for f in sorted(os.scandir(e.path), key=lambda x: x.name):
                        if f.is_file(follow_symlinks=False) and (
                                f.name == "direct_url.json" or _names_host_path(f.path, needles)):
                            found.append(f.path)
            except OSError:
                continue
    _masks_cache[key] = found
    return found


_staged_dirs = {}


def _tree_digest(src):
    h = hashlib.sha256()
    for base, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".pyc"):
                continue
            path = os.path.join(base, f)
            h.update(os.path.relpath(path, src).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(fh.read() + b"\0")
    return h.hexdigest()[:16]


def _trusted_dir(path):
    """path is a real folder of ours that nobody else can write to."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


def _staged(src, name):
    """A copy of the trusted folder src (the worker package, the kit) outside the checkout, to
    bind into the sandbox: a bind mount's source path shows in the sandbox's
    /proc/self/mountinfo, and the checkout's path would tell where reference/ and the suites
    live. The copy is named after its content (TMPDIR/autograder-stage-EUID-DIGEST/NAME), so
    every grading process (and fork) shares it and a changed worker gets a new one; it is
    used only when it is a folder of ours that no one else can write to."""
    if src in _staged_dirs:
        return _staged_dirs[src]
    top = os.path.join(tempfile.gettempdir(), f"autograder-stage-{os.geteuid()}-{_tree_digest(src)}")
    if not _trusted_dir(top):
        tmp = tempfile.mkdtemp(prefix="autograder-stage-tmp-")
        shutil.copytree(src, os.path.join(tmp, name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for base, dirs, files in os.walk(tmp):
            os.chmod(base, 0o755)
            for f in files:
                os.chmod(os.path.join(base, f), 0o644)
        try:
            os.rename(tmp, top)
        except OSError:  # made meanwhile by another process (checked below), or squatted
            shutil.rmtree(tmp, ignore_errors=True)
        if not _trusted_dir(top):
            raise SandboxError(f"cannot stage {src}: {top} is not a private folder of this user")
    _staged_dirs[src] = os.path.join(top, name)
    return _staged_dirs[src]


def _rlimits(limits):
    mb = 1 << 20
    return [
        ["RLIMIT_DATA", limits["mem_mb"] * mb, limits["mem_mb"] * mb],
        ["RLIMIT_AS", (limits["mem_mb"] + 8192) * mb, (limits["mem_mb"] + 8192) * mb],
        ["RLIMIT_CPU", limits["cpu_s"], limits["cpu_s"] + 5],
        ["RLIMIT_NPROC", limits["nproc"], limits["nproc"]],
        ["RLIMIT_FSIZE", limits["fsize_mb"] * mb, limits["fsize_mb"] * mb],
        ["RLIMIT_NOFILE", limits["nofile"], limits["nofile"]],
        ["RLIMIT_CORE", 0, 0],
    ]


_ENV = {
    "PATH": "/usr/bin:/bin",
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "TORCH_NUM_THREADS": "1",
    "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
}


def bwrap_command(rfd, wfd, limits, uid, *, zygote=False):
    """The bwrap argv that starts a worker (exposed for tests and docs).

    zygote=True: the argv of a zygote instead (rfd is its control socket, wfd is ignored)."""
    std, pkgs = _python_paths()
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    cmd = [shutil.which("bwrap") or "/usr/bin/bwrap",
           "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr"]
    for top in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(f):
            cmd += ["--ro-bind", f, f]
    mounted, made = ["/usr"], set()
    for d in [prefix, os.path.dirname(os.path.dirname(exe))] + std + pkgs:
        if not _under(d, mounted):
            # bwrap would create the missing parents with the host's modes (/root is 0700):
            # create them world-traversable so the unprivileged uid can reach the mount.
            target = _inside(d)
            parts = target.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                parent = "/" + "/".join(parts[:i])
                if parent not in made and not _under(parent, [_inside(m) for m in mounted]):
                    cmd += ["--perms", "0755", "--dir", parent]
                    made.add(parent)
            cmd += ["--ro-bind", d, target]
            mounted.append(d)
    # A non-editable install puts the grader (with the hidden suites) and the reference solutions
    # in site-packages: hide them.
    for d in pkgs:
        for secret in ("autograder", "reference"):
            p = os.path.join(d, secret)
            if os.path.isdir(p):
                cmd += ["--tmpfs", _inside(p), "--remount-ro", _inside(p)]
    # ... and whatever names the checkout (an editable install's path mapping, see _masked_files)
    for f in _masked_files(pkgs):
        cmd += ["--ro-bind", "/dev/null", _inside(f)]
    cmd += ["--perms", "0755", "--dir", os.path.dirname(SANDBOX_ROOT), "--perms", "0755", "--dir", SANDBOX_ROOT,
            "--ro-bind", _staged(_WORKER_DIR, WORKER_PACKAGE), f"{SANDBOX_ROOT}/{WORKER_PACKAGE}"]
    kit = _kit_dir()
    if kit:
        cmd += ["--ro-bind", _staged(kit, "cursocnn"), f"{SANDBOX_ROOT}/cursocnn"]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits["tmp_mb"] << 20), "--tmpfs", "/tmp",
            "--chdir", "/tmp", "--clearenv"]
    for k, v in {**_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp"}.items():
        cmd += ["--setenv", k, v]
    cfg = {"front": [SANDBOX_ROOT], "back": [_inside(p) for p in std + pkgs], "rlimits": _rlimits(limits),
           "uid": uid, "package": WORKER_PACKAGE}
    if zygote:
        cfg["zygote"] = True
    cmd += ["--", _inside(exe), "-S", "-E", "-s", "-B", "-c", _BOOT, json.dumps(cfg), str(rfd), str(wfd)]
    return cmd


def bwrap_view(limits=None):
    """The bwrap options of a worker's sandbox, without its command and without the worker
    package: namespaces, the read-only system/Python/site-packages view (grader and solutions
    masked), the kit at SANDBOX_ROOT/cursocnn, private /proc, /dev and /tmp (the cwd), a clear
    environment. Other programs confined like a worker (the nbgrader kernel,
    autograder/nbgrader_kernel.py) append their own binds, --setenv and `-- command`, so they
    follow every change to the worker's view."""
    cmd = bwrap_command(-1, -1, {**DEFAULT_LIMITS, **(limits or {})}, None)
    cmd = cmd[:cmd.index("--")]
    at = cmd.index(f"{SANDBOX_ROOT}/{WORKER_PACKAGE}")
    del cmd[at - 2:at + 1]           # --ro-bind <autograder/worker> <SANDBOX_ROOT/agworker>
    return cmd


def plain_command(rfd, wfd, limits):
    std, pkgs = _python_paths()
    front = [_REPO_ROOT]
    kit = _kit_dir()
    if kit:
        front.append(os.path.dirname(kit))
    cfg = {"front": front, "back": std + pkgs, "rlimits": _rlimits(limits), "uid": None,
           "package": "autograder.worker"}
    return [os.path.realpath(sys.executable), "-S", "-E", "-s", "-B", "-c", _BOOT, json.dumps(cfg),
            str(rfd), str(wfd)]


def _pick_uid():
    # A distinct unprivileged uid per worker: RLIMIT_NPROC counts per uid, so concurrent
    # workers (threads or processes grading in parallel) do not share one budget.
    return 61000 + (os.getpid() * 131 + next(_uid_counter)) % 4000


# ------------------------------------------------------------------ the zygote (bwrap mode)
#
# One sandbox per grading process imports torch once and forks a confined child per worker
# (autograder/worker/zygote.py). Not shared across fork(): a forked grading process forgets the
# parent's zygote (the parent keeps using it) and starts its own on its first Session.

ZYGOTE_START_TIMEOUT = 180.0
ZYGOTE_OP_TIMEOUT = 20.0
ZYGOTE_TMP_MB = 16     # the zygote's own /tmp (children mount their own, of limits["tmp_mb"])


class ZygoteError(RuntimeError):
    pass


def _zygote_enabled(flag):
    if flag is not None:
        return bool(flag)
    return os.environ.get("AUTOGRADER_ZYGOTE", "1").strip().lower() not in ("0", "no", "false", "off")


class _Zygote:
    def __init__(self):
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.proc = None
        self.dead = False
        self.stderr = b""
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        started = threading.Event()
        err = {}
        limits = {**DEFAULT_LIMITS, "tmp_mb": ZYGOTE_TMP_MB}
        cmd = bwrap_command(theirs.fileno(), -1, limits, None, zygote=True)

        def keeper():
            # bwrap's --die-with-parent follows the thread that started it: a thread that
            # lives as long as the process.
            try:
                self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                             start_new_session=True, cwd="/", env=dict(_ENV))
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

        self.keeper = threading.Thread(target=keeper, name="autograder-zygote", daemon=True)
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


class _ZygoteChild:
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


def _get_zygote():
    global _zygote
    with _zygote_lock:
        z = _zygote
        if z is not None and (z.owner != os.getpid() or not z.alive()):
            if z.owner == os.getpid():
                z.close()
            z = _zygote = None
        if z is None:
            z = _zygote = _Zygote()
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


# ------------------------------------------------------------------ the session

class Session:
    """One submission's worker. `Session(cells, assignment)`; see docs/architecture.md.

    isolation: "auto" (bwrap when root and available, else a loud fallback), "bwrap" (required:
    SandboxError otherwise) or "none" (plain subprocess with rlimits). The AUTOGRADER_SANDBOX
    environment variable supplies the default.

    zygote: in bwrap mode, fork each worker from a per-process zygote sandbox that has torch
    imported already (default; AUTOGRADER_ZYGOTE=0 disables it) instead of starting a sandbox.

    budget: an autograder.budget.StudentBudget shared by every load and call of the submission
    (worker start-up is not charged); a request gets min(its timeout, what is left) and, once
    it is spent, StudentCrash("budget") without running anything.
    """

    def __init__(self, cells, assignment, *, load_timeout=60.0, isolation=None, limits=None, uid=None,
                 zygote=None, budget=None):
        if isinstance(cells, str):
            cells = [["submission", cells]]
        self.cells, self.assignment, self.load_timeout = [list(c) for c in cells], assignment, load_timeout
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.budget = budget   # a budget.StudentBudget charged by loads and calls, or None
        self.isolation = self._resolve(isolation or _env_mode())
        self.uid = uid
        # bwrap mode: fork workers from this process's zygote (AUTOGRADER_ZYGOTE=0 or zygote=False:
        # a fresh sandbox per worker, as before)
        self.use_zygote = self.isolation == "bwrap" and _zygote_enabled(zygote)
        self.proc = None
        self.wfd = self.rfd = None
        self.defined, self.load_notes = set(), []
        self.output = b""            # first KEEP_OUTPUT bytes of student stdout/stderr (all workers)
        self.startup_seconds = []    # worker start-up times (process start to ready)
        self.restarts = 0
        self._only_definitions = False
        self._broken = None
        self._loaded = False
        self._scratch = None
        self._drain = None
        self._output_exceeded = False

    # -- lifecycle

    @staticmethod
    def _resolve(mode):
        global _warned
        if mode not in ("auto", "bwrap", "none"):
            raise ValueError(f"isolation must be auto, bwrap or none, not {mode!r}")
        if mode == "none":
            return "none"
        if bwrap_available():
            return "bwrap"
        if mode == "bwrap":
            raise SandboxError("bwrap isolation requested but unavailable (needs root and /usr/bin/bwrap)")
        msg = ("autograder: bubblewrap isolation unavailable (not root, or bwrap missing/blocked); "
               "student code runs in a plain subprocess with rlimits only. Do not grade untrusted "
               "submissions this way.")
        if not _warned:
            log.warning(msg)
            _warned = True
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
        return "fallback"

    def __enter__(self):
        self._start()
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def isolated(self) -> bool:
        return self.isolation == "bwrap"

    def _spawn(self):
        r_req, w_req = os.pipe()
        r_rep, w_rep = os.pipe()
        r_out, w_out = os.pipe()
        try:
            if self.use_zygote:
                try:
                    z = _get_zygote()
                    reply = z.request({"op": "spawn", "uid": self.uid, "rlimits": _rlimits(self.limits),
                                       "tmp_bytes": self.limits["tmp_mb"] << 20},
                                      fds=(r_req, w_rep, w_out))
                    self.proc = _ZygoteChild(z, reply["pid"], reply["uid"])
                except (ZygoteError, KeyError, TypeError) as exc:
                    log.warning("autograder: zygote unavailable (%s); starting a fresh sandbox", exc)
                    self.use_zygote = False
            if self.proc is None:
                if self.isolation == "bwrap":
                    uid = self.uid if self.uid is not None else _pick_uid()
                    cmd, cwd = bwrap_command(r_req, w_rep, self.limits, uid), "/"
                else:
                    if self._scratch is None:
                        self._scratch = tempfile.mkdtemp(prefix="ag-scratch-")
                    cmd, cwd = plain_command(r_req, w_rep, self.limits), self._scratch
                env = dict(_ENV, HOME=cwd, TMPDIR=cwd, MPLCONFIGDIR=cwd)
                self.proc = subprocess.Popen(cmd, pass_fds=(r_req, w_rep), stdin=subprocess.DEVNULL,
                                             stdout=w_out, stderr=w_out, start_new_session=True, cwd=cwd,
                                             env=env)
        finally:
            for fd in (r_req, w_rep, w_out):
                os.close(fd)
        self.wfd, self.rfd = w_req, r_rep
        self._output_exceeded = False
        self._drain = threading.Thread(target=self._drain_output, args=(r_out, self.proc), daemon=True)
        self._drain.start()

    def _drain_output(self, fd, proc):
        total = 0
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return
                total += len(chunk)
                if len(self.output) < KEEP_OUTPUT:
                    self.output += chunk[: KEEP_OUTPUT - len(self.output)]
                if total > self.limits["output_bytes"] and not self._output_exceeded:
                    self._output_exceeded = True
                    self._killpg(proc)
        except OSError:
            pass
        finally:
            os.close(fd)

    @staticmethod
    def _killpg(proc):
        if isinstance(proc, _ZygoteChild):
            proc.kill()
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _start(self):
        if self._broken is not None:
            raise self._broken
        t0 = time.perf_counter()
        self._spawn()
        try:
            self._request({"op": "ping"}, 60.0)
        except StudentCrash as exc:
            self._kill()
            if self.use_zygote:  # a child of the zygote could not start: fall back, loudly
                log.warning("autograder: zygote child did not start (%s); using a fresh sandbox", exc)
                self.use_zygote = False
                return self._start()
            raise SandboxError(f"the worker did not start ({exc}); output: {self.output[-500:]!r}") from exc
        self.startup_seconds.append(time.perf_counter() - t0)
        first = not self._loaded
        try:
            reply = self._request({"op": "load", "cells": self.cells,
                                   "only_definitions": self._only_definitions}, self.load_timeout)
        except StudentCrash as exc:
            if exc.reason == "budget":
                self._kill()
                raise
            if self._only_definitions:
                self._broken = StudentCrash("load", f"el código no se pudo cargar: {exc.reason} ({exc.detail})")
                self.load_notes.append(("load_crash", self._broken.detail))
                raise self._broken from exc
            self._only_definitions = True
            self.load_notes.append(("load_crash",
                                    f"Al cargar tu código el proceso terminó ({exc.reason}: {exc.detail}). "
                                    "Se volvió a cargar ejecutando solo los import y las definiciones "
                                    "(def/class)."))
            self._spawn()
            return self._start_after_ping(first)
        self._after_load(reply, first)

    def _start_after_ping(self, first):
        try:
            self._request({"op": "ping"}, 60.0)
            reply = self._request({"op": "load", "cells": self.cells, "only_definitions": True},
                                  self.load_timeout)
        except StudentCrash as exc:
            if exc.reason == "budget":
                self._kill()
                raise
            self._broken = StudentCrash("load", f"el código no se pudo cargar: {exc.reason} ({exc.detail})")
            self.load_notes.append(("load_crash", self._broken.detail))
            raise self._broken from exc
        self._after_load(reply, first)

    def _after_load(self, reply, first):
        if first:
            self.defined = set(reply.get("defined", ()))
            self.load_notes += [tuple(n) for n in reply.get("notes", ())]
            if self.isolation == "fallback":
                self.load_notes.append(("sandbox_unisolated",
                                        "Aviso: el código se ejecutó sin aislamiento (bubblewrap no disponible)."))
            self._loaded = True

    def _kill(self):
        if self.proc is not None:
            self._killpg(self.proc)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for fd in (self.wfd, self.rfd):
                try:
                    os.close(fd)
                except (OSError, TypeError):
                    pass
            self.wfd = self.rfd = None
            self.proc = None
            if self._drain is not None:
                self._drain.join(2)

    def close(self):
        self._kill()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    # -- calls

    def _crash(self, reason, detail):
        proc = self.proc
        self._kill()
        if self._output_exceeded:
            return StudentCrash("output", f"tu código imprimió más de {self.limits['output_bytes'] >> 10} KB")
        if reason == "died" and proc is not None and proc.returncode is not None:
            detail = f"{detail}; código de salida {proc.returncode}"
        return StudentCrash(reason, detail)

    def _request(self, message, timeout):
        charged = self.budget is not None and message.get("op") in ("load", "call")
        if not charged:
            return self._exchange(message, timeout)
        left = self.budget.left()
        if left <= 0:
            raise StudentCrash("budget", f"sin tiempo: se usaron los {self.budget.seconds:g} s de la entrega")
        t0 = time.monotonic()
        try:
            return self._exchange(message, min(timeout, left))
        except StudentCrash as exc:
            if exc.reason == "timeout" and left < timeout:
                raise StudentCrash("budget", f"se usaron los {self.budget.seconds:g} s de la entrega") from exc
            raise
        finally:
            self.budget.charge(time.monotonic() - t0)

    def _exchange(self, message, timeout):
        result = {}
        max_reply = MAX_REPLY

        def exchange():
            try:
                wire.write_frame(self.wfd, wire.encode(message))
                result["raw"] = wire.read_frame(self.rfd, max_reply)
            except BaseException as exc:  # noqa: BLE001 - reported below
                result["error"] = exc

        t = threading.Thread(target=exchange, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            self._kill()
            t.join(5)
            if self._output_exceeded:
                raise self._crash("output", "")
            raise StudentCrash("timeout", f"más de {timeout:g} s")
        if "error" in result:
            err = result["error"]
            if isinstance(err, wire.WireError):
                raise self._crash("protocol", str(err)[:300])
            raise self._crash("died", "el proceso que ejecutaba tu código terminó")
        try:
            with warnings.catch_warnings():  # forged pickles make torch warn about their protocol
                warnings.simplefilter("ignore", UserWarning)
                reply = wire.decode(result["raw"])
        except Exception as exc:  # noqa: BLE001 - weights_only refuses anything but data
            raise self._crash("protocol", f"respuesta ilegible ({type(exc).__name__})")
        if not isinstance(reply, dict) or "ok" not in reply:
            raise self._crash("protocol", "respuesta con formato incorrecto")
        return reply

    def call(self, probe, *args, timeout=10.0, **kwargs):
        if self.budget is not None and self.budget.exhausted:  # no reload for nothing
            raise StudentCrash("budget", f"sin tiempo: se usaron los {self.budget.seconds:g} s de la entrega")
        if self.proc is None:
            if self._loaded:
                self.restarts += 1
            self._start()
        reply = self._request({"op": "call", "probe": probe, "args": list(args), "kwargs": kwargs}, timeout)
        if reply["ok"]:
            if "value" not in reply:
                raise self._crash("protocol", "respuesta sin valor")
            return reply["value"]
        err = reply.get("error")
        if not isinstance(err, dict):
            raise self._crash("protocol", "error con formato incorrecto")
        raise StudentError(str(err.get("type", "?")), str(err.get("message", "")), str(err.get("traceback", "")))
