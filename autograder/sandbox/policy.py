"""What a sandbox may see and do, declared once, and the one place it becomes a bwrap command.

A `Policy` names the package that boots inside the sandbox, its limits, its uid and what it sees
beyond the common view; `bwrap_argv` turns it into the argument list. The common view (every
sandbox: grader workers, the zygote, the confined nbgrader kernel): private mount/pid/ipc/net/uts
namespaces, the system, the Python installation and the packages the worker needs read-only
(site-packages' copies of the grader and the solutions masked, anything naming the checkout
hidden), the course kit `cursocnn` at SANDBOX_ROOT/cursocnn, private /proc, /dev and /tmp, a
cleared environment. The process inside is booted by autograder/sandboxed/worker/confine.py (rlimits, uid
drop, then the entry point), from the configuration built here.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field

from autograder import locations

from .staging import staged

WORKER_PACKAGE = "agworker"          # name of autograder/worker inside the sandbox
SANDBOX_ROOT = "/opt/autograder"     # where the boot package and the kit are mounted

WORKER_DIR = locations.WORKER
REPO_ROOT = locations.PACKAGE_PARENT

DEFAULT_LIMITS = {
    "mem_mb": 3072,        # RLIMIT_DATA; importing torch alone needs ~750 MB of it
    "cpu_s": 900,          # RLIMIT_CPU over the worker's life (per-call limits are wall-clock)
    "nproc": 64,           # RLIMIT_NPROC for the sandbox uid (threads count)
    "fsize_mb": 64,        # RLIMIT_FSIZE
    "nofile": 256,         # RLIMIT_NOFILE
    "tmp_mb": 256,         # size of the scratch tmpfs (bwrap only)
    "output_bytes": 2 << 20,  # student stdout+stderr beyond this kills the worker
}

ENV = {
    "PATH": "/usr/bin:/bin",
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "TORCH_NUM_THREADS": "1",
    "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
}

# Unprivileged uids, (first, count): one per worker (RLIMIT_NPROC counts per uid, so concurrent
# workers do not share one budget) and one per confined nbgrader kernel.
WORKER_UIDS = (61000, 4000)
KERNEL_UIDS = (60000, 1000)

# What the sandbox runs: python, isolated from the environment, then a one-line trampoline that
# imports PACKAGE.confine (autograder/sandboxed/worker/confine.py) and hands it the configuration.
PYTHON_FLAGS = ["-S", "-E", "-s", "-B"]
TRAMPOLINE = ("import importlib, json, sys; cfg = json.loads(sys.argv[1]); sys.path[:0] = cfg['front']; "
              "importlib.import_module(cfg['package'] + '.confine').boot(cfg, sys.argv[2:])")

_uid_counter = itertools.count()
_bwrap_ok = None


def pick_uid(uids=WORKER_UIDS) -> int:
    first, count = uids
    return first + (os.getpid() * 131 + next(_uid_counter)) % count


def rlimits(limits):
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


def bwrap_exe():
    """bwrap ($AUTOGRADER_BWRAP names another binary: tests use /bin/false to stand for an
    account where user namespaces are blocked)."""
    return os.environ.get("AUTOGRADER_BWRAP") or shutil.which("bwrap") or "/usr/bin/bwrap"


def _bwrap_works() -> bool:
    """bwrap can create the namespaces we need, as whoever we are (tested once). An ordinary user
    gets them inside a user namespace, which bwrap (not setuid) creates by itself."""
    global _bwrap_ok
    if _bwrap_ok is None:
        exe = bwrap_exe()
        if not os.path.exists(exe):
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


def bwrap_available() -> bool:
    """True when running as root and bwrap works: the mode with a uid per worker and a zygote
    (and the only one the confined nbgrader kernel uses)."""
    return os.geteuid() == 0 and _bwrap_works()


LANDLOCK_MIN_ABI = 4   # 4: TCP bind/connect are restricted too (6 adds signals, abstract sockets)


def landlock_available() -> bool:
    """The kernel's Landlock is recent enough for the Landlock mode ($AUTOGRADER_LANDLOCK=0 turns
    it off, e.g. for a test of an account with nothing)."""
    if os.environ.get("AUTOGRADER_LANDLOCK", "1").strip() == "0":
        return False
    from autograder.sandboxed.worker.confine import landlock_abi
    return landlock_abi() >= LANDLOCK_MIN_ABI


def confinement_mode() -> str | None:
    """The best confinement this account has: "root" (bwrap as root: a uid per worker, workers
    forked from a preloaded zygote), "userns" (an ordinary user: bwrap in a user namespace, one
    uid inside, so each worker gets its own sandbox and pid namespace instead of a shared
    zygote), "landlock" (user namespaces blocked, as in many containers: a plain process that
    restricts itself with Landlock before it loads student code), or None."""
    if _bwrap_works():
        return "root" if os.geteuid() == 0 else "userns"
    return "landlock" if landlock_available() else None


# One line for the instructor when nothing confines student code (docs/security.md).
MISSING_CONFINEMENT = (
    "autograder: no confinement for student code on this account: it needs bubblewrap "
    "(apt-get install bubblewrap) and either root or unprivileged user namespaces "
    "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0), or a kernel "
    "with Landlock ABI 4 or later (Linux 6.7+). "
    "--unconfined grades anyway and marks every result 'unconfined'.")


# ------------------------------------------------------------------ the host's side of the view

def kit_dir():
    spec = importlib.util.find_spec("cursocnn")
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    cand = os.path.join(REPO_ROOT, "assignments", "cursocnn")
    return cand if os.path.isdir(cand) else None


def python_paths():
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


def under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def inside(path):
    """Where a host path is mounted in the sandbox. The sandbox's /tmp (and each zygote child's)
    is a private tmpfs, so host paths under /tmp (a checkout or venv there, as in CI) are mounted
    under SANDBOX_ROOT/host instead of being hidden by it."""
    return f"{SANDBOX_ROOT}/host{path}" if under(path, ["/tmp"]) else path


def _names_host_path(path, needles):
    try:
        if os.path.getsize(path) > (2 << 20):
            return False
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return any(n in data for n in needles)


_masks_cache: dict = {}


def masked_files(pkgs):
    """Files of the mounted package folders that name host paths, to be hidden (bound to
    /dev/null) in the sandbox: an editable install's path mapping (__editable__* finder and
    .pth, *.egg-link, easy-install.pth, and the finder's bytecode in __pycache__/) names the
    checkout, i.e. where reference/ and the suites live; direct_url.json says where each package
    was installed from. The worker runs
    with -S, so none of them is needed. Also any other top-level or *-info file that mentions
    the checkout."""
    key = tuple(pkgs)
    if key in _masks_cache:
        return _masks_cache[key]
    root = os.path.realpath(REPO_ROOT)
    needles = {root.encode(), REPO_ROOT.encode()}
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
                elif e.is_dir(follow_symlinks=False) and e.name == "__pycache__":
                    # the bytecode Python writes for the editable finder names the checkout too
                    for f in sorted(os.scandir(e.path), key=lambda x: x.name):
                        if f.is_file(follow_symlinks=False) and (
                                f.name.startswith("__editable__") or _names_host_path(f.path, needles)):
                            found.append(f.path)
                elif e.is_dir(follow_symlinks=False) and e.name.endswith((".dist-info", ".egg-info")):
                    for f in sorted(os.scandir(e.path), key=lambda x: x.name):
                        if f.is_file(follow_symlinks=False) and (
                                f.name == "direct_url.json" or _names_host_path(f.path, needles)):
                            found.append(f.path)
            except OSError:
                continue
    _masks_cache[key] = found
    return found


# ------------------------------------------------------------------ policies

# Mounts, in the order bwrap makes them: ("ro", src, dest) read-only bind, ("rw", src, dest)
# writable bind, ("dir", path) a new 0755 folder, ("chmod", mode, path).

def new_dirs(path, made, skip=()):
    """("dir", p) for each parent folder of path that is not in `made` (nor under a folder of
    `skip`), so that bwrap does not create it with the host's mode (/root is 0700) and the
    unprivileged uid can reach the mount. Adds them to `made`."""
    parts = path.strip("/").split("/")[:-1]
    out = []
    for i in range(1, len(parts) + 1):
        parent = "/" + "/".join(parts[:i])
        if parent not in made and not under(parent, skip):
            out.append(("dir", parent))
            made.add(parent)
    return out


@dataclass
class Policy:
    package: str                  # the boot package's name in the sandbox (under SANDBOX_ROOT)
    package_mounts: list          # the mounts that make it; it must hold confine.py
    entry: str = "main"           # PACKAGE.ENTRY.main(args, cfg) runs once confined
    limits: dict = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    uid: int | None = None        # the unprivileged uid it drops to (None: stays as it starts)
    confined: bool = True         # False: no rlimits either (the zygote confines its children)
    mounts: list = field(default_factory=list)   # more mounts, after the private /proc, /dev, /tmp
    env: dict = field(default_factory=dict)      # on top of ENV, HOME, TMPDIR and MPLCONFIGDIR
    cwd: str = "/tmp"
    extra: dict = field(default_factory=dict)    # more boot configuration for the entry point

    def boot_config(self, front, back):
        cfg = {"front": front, "back": back, "rlimits": rlimits(self.limits) if self.confined else [],
               "uid": self.uid, "package": self.package, "entry": self.entry}
        return {**cfg, **self.extra}


def _mount_args(mounts):
    args = []
    for m in mounts:
        if m[0] == "ro":
            args += ["--ro-bind", m[1], m[2]]
        elif m[0] == "rw":
            args += ["--bind", m[1], m[2]]
        elif m[0] == "dir":
            args += ["--perms", "0755", "--dir", m[1]]
        elif m[0] == "chmod":
            args += ["--chmod", m[1], m[2]]
        else:
            raise ValueError(f"unknown mount {m!r}")
    return args


def _system_view(std, pkgs):
    """Namespaces and the read-only system and Python view, secrets masked."""
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    cmd = [bwrap_exe(),
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
        if not under(d, mounted):
            cmd += _mount_args(new_dirs(inside(d), made, skip=[inside(m) for m in mounted]))
            cmd += ["--ro-bind", d, inside(d)]
            mounted.append(d)
    # A non-editable install puts the grader (with the hidden suites) and the reference solutions
    # in site-packages: hide them.
    for d in pkgs:
        for secret in ("autograder", "reference"):
            p = os.path.join(d, secret)
            if os.path.isdir(p):
                cmd += ["--tmpfs", inside(p), "--remount-ro", inside(p)]
    # ... and whatever names the checkout (an editable install's path mapping, see masked_files)
    for f in masked_files(pkgs):
        cmd += ["--ro-bind", "/dev/null", inside(f)]
    return cmd


def bwrap_argv(policy: Policy, args) -> list:
    """The bwrap command line that runs `policy`'s entry point with `args` (strings)."""
    std, pkgs = python_paths()
    cmd = _system_view(std, pkgs)
    cmd += _mount_args([("dir", os.path.dirname(SANDBOX_ROOT)), ("dir", SANDBOX_ROOT)] + policy.package_mounts)
    kit = kit_dir()
    if kit:
        cmd += ["--ro-bind", staged(kit, "cursocnn"), f"{SANDBOX_ROOT}/cursocnn"]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(policy.limits["tmp_mb"] << 20), "--tmpfs", "/tmp"]
    cmd += _mount_args(policy.mounts)
    if os.geteuid() != 0:
        # an ordinary user's namespace maps the user's own uid: the folders bwrap made in the
        # sandbox's root belong to it, so make that root read-only (/tmp, /dev and the binds keep
        # their own flags). As root the worker's own uid cannot write there anyway.
        cmd += ["--remount-ro", "/"]
    cmd += ["--chdir", policy.cwd, "--clearenv"]
    for k, v in {**ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp", **policy.env}.items():
        cmd += ["--setenv", k, v]
    cfg = policy.boot_config([SANDBOX_ROOT], [inside(p) for p in std + pkgs])
    exe = inside(os.path.realpath(sys.executable))
    return cmd + ["--", exe, *PYTHON_FLAGS, "-c", TRAMPOLINE, json.dumps(cfg), *map(str, args)]


def worker_policy(limits, uid, *, zygote=False) -> Policy:
    """A grader worker (or, zygote=True, the zygote that forks workers: it stays the sandbox's
    root without rlimits and confines each child itself, with a uid of WORKER_UIDS)."""
    return Policy(package=WORKER_PACKAGE,
                  package_mounts=[("ro", staged(WORKER_DIR, WORKER_PACKAGE), f"{SANDBOX_ROOT}/{WORKER_PACKAGE}")],
                  entry="zygote" if zygote else "main", limits=limits, uid=None if zygote else uid,
                  confined=not zygote, extra={"uids": list(WORKER_UIDS)} if zygote else {})


def confine_file():
    """The sandbox's boot module (worker/confine.py, staged), for a boot package other than the
    worker's to mount beside its own files."""
    return os.path.join(staged(WORKER_DIR, WORKER_PACKAGE), "confine.py")


def bwrap_command(rfd, wfd, limits, uid, *, zygote=False):
    """The bwrap argv that starts a worker on protocol fds rfd/wfd (exposed for tests and docs).

    zygote=True: the argv of a zygote instead (rfd is its control socket, wfd is ignored)."""
    return bwrap_argv(worker_policy(limits, uid, zygote=zygote), [rfd, wfd])


LIST_ONLY = "ls:"     # a Landlock read rule that lets a folder (and those below) be listed, not read


def landlock_readable(paths, pkgs):
    """What Landlock may grant of `paths` (folders of the Python installation). Landlock can only
    allow whole trees, so a folder above what the sandbox masks in the package folders `pkgs` (a
    non-editable install's `autograder/` with the hidden suites, `reference/`, files naming the
    checkout) is granted entry by entry, down to those, without them; the folders on the way are
    only listable (LIST_ONLY: names, never contents)."""
    hidden = set(masked_files(pkgs))
    hidden |= {os.path.join(d, name) for d in pkgs for name in ("autograder", "reference")
               if os.path.isdir(os.path.join(d, name))}

    def grant(path, out):
        if path in hidden:
            return
        if not any(h.startswith(path.rstrip("/") + "/") for h in hidden):
            out.append(path)
            return
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        out.append(LIST_ONLY + path)   # Python's import system lists the folders on sys.path
        for name in names:
            grant(os.path.join(path, name), out)

    out: list = []
    for path in dict.fromkeys(paths):
        grant(path, out)
    return list(dict.fromkeys(out))


def landlock_system_view() -> list:
    """What every Landlock sandbox may read: the system, Python and its packages (without what
    the bwrap view masks), a few files of /dev, /proc and /sys that libraries read."""
    std, pkgs = python_paths()
    tree = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", os.path.realpath(sys.base_prefix),
            os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))), *std, *pkgs]
    return landlock_readable(tree, pkgs) + [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/dev/urandom", "/dev/zero",
        "/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu"]


def _tasks_of(uid: int) -> int:
    """Threads of every process of `uid` now (what RLIMIT_NPROC counts)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if line.startswith(("Uid:", "Threads:")))
            if int(fields["Uid"].split()[0]) == uid:   # the real uid, as RLIMIT_NPROC counts
                total += int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return total


def shared_uid_limits(limits):
    """Without a uid of its own (the Landlock mode) RLIMIT_NPROC counts every process of the
    instructor's account: the budget is what the account runs now plus the sandbox's own."""
    return {**limits, "nproc": limits["nproc"] + _tasks_of(os.getuid())}


def landlock_command(rfd, wfd, limits, scratch):
    """The Landlock mode: the worker package and the kit from their staged copies (never the
    checkout), the rlimits, then Landlock: read (and execute) only the system, Python, its
    packages and those copies; write only `scratch` (its cwd, HOME and TMPDIR) and /dev/null; no
    TCP; no signals to processes outside its own domain (docs/security.md)."""
    std, pkgs = python_paths()
    front = [os.path.dirname(staged(WORKER_DIR, WORKER_PACKAGE))]
    kit = kit_dir()
    if kit:
        front.append(os.path.dirname(staged(kit, "cursocnn")))
    read = landlock_system_view() + front
    policy = Policy(package=WORKER_PACKAGE, package_mounts=[], limits=shared_uid_limits(limits),
                    extra={"landlock": {"read": read, "write": [scratch, "/dev/null"]}})
    cfg = policy.boot_config(front, std + pkgs)
    return [os.path.realpath(sys.executable), *PYTHON_FLAGS, "-c", TRAMPOLINE, json.dumps(cfg),
            str(rfd), str(wfd)]


def plain_command(rfd, wfd, limits):
    """The fallback without bwrap: the same boot in a plain subprocess (rlimits, no uid drop)."""
    std, pkgs = python_paths()
    front = [REPO_ROOT]
    kit = kit_dir()
    if kit:
        front.append(os.path.dirname(kit))
    policy = Policy(package="autograder.sandboxed.worker", package_mounts=[], limits=limits)
    cfg = policy.boot_config(front, std + pkgs)
    return [os.path.realpath(sys.executable), *PYTHON_FLAGS, "-c", TRAMPOLINE, json.dumps(cfg),
            str(rfd), str(wfd)]
