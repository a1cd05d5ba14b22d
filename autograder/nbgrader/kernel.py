"""The kernel that `nbgrader autograde` runs a student's notebook in, confined like a grader worker.

nbgrader executes each notebook with its `Execute` preprocessor, an nbclient NotebookClient that
starts a Jupyter kernel through `kernel_manager_class`, with the notebook's folder
(`autograded/<student>/<assignment>/`) as cwd. `ConfinedExecute` (an Execute whose kernel manager is
`ConfinedKernelManager`) runs that kernel in the same bubblewrap view as the grader's worker
(autograder/sandbox/policy.py: read-only system, Python and site-packages with the grader and the
solutions masked, the kit, private /proc, /dev and /tmp, no network, no view of the host's pids),
as its own unprivileged uid, with:

* a working copy of its notebook folder (autograder/nbgrader/kernel_folder.py) as cwd and only writable
  place besides a private /tmp: the kernel never sees nbgrader's folder. What it wrote comes
  back as plain files once it is dead, and the folder is cleaned of links and special files
  before nbgrader writes anything there;
* nothing else of the course: no source/, release/, submitted/, other students' folders, gradebook
  or nbgrader_config.py;
* a stub package `autograder` holding only `nbgrader_hook.py` (autograder/sandboxed/kernel_hook.py,
  what the grade cells import) and,
  read-only ($AUTOGRADER_HOOK_RESULTS), the trusted grading of this student's snapshot
  (autograder/nbgrader/snapshot.py) for hidden_score to print;
* the kernel's ZMQ sockets as unix sockets (transport "ipc") in its own folder, so that the
  sandbox keeps its own network namespace (no loopback shared with the host where other kernels
  or services listen).

How a kernel is confined follows the account (`kernel_confinement`, docs/security.md):

* bwrap-root: the sandbox is started once per nbgrader process: a zygote
  (autograder/sandboxed/kernel_boot/preloaded.py) imports ipykernel, torch, torchvision and matplotlib, and
  forks each kernel, which is then confined (private /tmp, rlimits, its uid) before ipykernel
  starts. Every kernel's folder lives under one private folder of this process
  (`KernelZygote.shared`, bound at the same path, so that the socket paths mean the same on both
  sides), each 0700 and owned by that kernel's uid. `ZygoteProvisioner` is the jupyter_client
  provisioner that asks the zygote for a kernel and stands for its process.
* bwrap-userns (an ordinary user): one uid in the namespace, so each kernel gets a sandbox of its
  own (`kernel_policy`), started by jupyter_client like any kernel command.
* landlock (user namespaces blocked): a plain process that restricts itself before ipykernel
  starts (`landlock_kernel_command`).

Interrupts travel as messages (`interrupt_request` on the control channel). Where nothing confines
the kernel the manager refuses to start it (`ConfinedKernelManager.require_confinement = False`
runs it unconfined, with a warning), and `check_confinement_first` makes `nbgrader autograde` say
so in one line before the first notebook.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
import uuid

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Float, List, Unicode

from autograder import locations, sandbox
from autograder.sandbox import policy
from autograder.sandbox.errors import ZygoteError
from autograder.sandbox.staging import staged
from autograder.sandbox.zygote_client import ZygoteSandbox

from .kernel_folder import copy_back, copy_in, take_back

KERNEL_PACKAGE = "agkernel"                                   # autograder/kernel_boot in the sandbox
HOOK_PACKAGE = f"{sandbox.SANDBOX_ROOT}/autograder"           # stub package: the hook only

_BOOT_DIR = locations.KERNEL_BOOT
# the stub package a confined kernel imports the grade cells' hook from: name inside -> file here
_HOOK_FILES = {"__init__.py": os.path.join(locations.PACKAGE, "__init__.py"),
               "nbgrader_hook.py": os.path.join(locations.SANDBOXED, "kernel_hook.py")}
_live: set = set()

# The kernel runs the student's whole notebook (demo cells included), not one probe call.
KERNEL_LIMITS = {**sandbox.DEFAULT_LIMITS, "cpu_s": 4 * 3600, "nproc": 256, "nofile": 1024, "tmp_mb": 1024}
ZYGOTE_TMP_MB = 16          # the zygote's own /tmp (each kernel mounts its own of tmp_mb)
# Where the kernels' folders live: bound at the same path inside, so not under /tmp (the
# sandbox's /tmp is private) and on disk rather than in memory.
SHARED_BASES = ("/var/tmp", "/run")


class ConfinementUnavailable(RuntimeError):
    """Nothing on this account can confine the kernel (policy.MISSING_CONFINEMENT)."""


# The nbgrader route's words for the same thing (one line, docs/security.md).
KERNEL_MISSING = policy.MISSING_CONFINEMENT.replace(
    "--unconfined grades anyway and marks every result 'unconfined'.",
    "c.ConfinedKernelManager.require_confinement = False in nbgrader_config.py (or "
    "AUTOGRADER_SANDBOX=none) grades anyway, unconfined.")


def kernel_confinement() -> str:
    """How this account's kernels run: "bwrap-root" (a zygote forks each kernel with a uid of
    its own), "bwrap-userns" (each kernel in a sandbox of its own, in a user namespace),
    "landlock" (a process that restricts itself), "unconfined" (AUTOGRADER_SANDBOX=none) or
    "unavailable" (none of these)."""
    if os.environ.get("AUTOGRADER_SANDBOX", "").strip().lower() == "none":
        return "unconfined"
    mode = policy.confinement_mode()
    return {"root": "bwrap-root", "userns": "bwrap-userns", "landlock": "landlock"}.get(mode, "unavailable")


def pick_uid() -> int:
    return policy.pick_uid(sandbox.KERNEL_UIDS)


def _boot_package():
    """agkernel: kernel_boot's files and, beside them, the sandbox's boot and the zygote's code
    (worker/confine.py, worker/zygote.py)."""
    root = f"{sandbox.SANDBOX_ROOT}/{KERNEL_PACKAGE}"
    worker = staged(policy.WORKER_DIR, policy.WORKER_PACKAGE)
    return [("dir", root),
            *[("ro", os.path.join(_BOOT_DIR, name), f"{root}/{name}")
              for name in ("__init__.py", "main.py", "preloaded.py")],
            ("ro", os.path.join(worker, "confine.py"), f"{root}/confine.py"),
            ("ro", os.path.join(worker, "zygote.py"), f"{root}/zygote.py")]


def _kernel_view(*, binds, notebook_dir: str = "", env=None):
    """The kernels' view beyond the common one: the hook's stub package, fonts, the data
    (read-only, unless that folder holds the notebooks or a bound folder) and `binds`
    ([("rw"|"ro", path)], bound at the same path). Returns (mounts, env)."""
    mounts = [("dir", HOOK_PACKAGE),
              *[("ro", src, f"{HOOK_PACKAGE}/{name}") for name, src in _HOOK_FILES.items()]]
    if os.path.isdir("/etc/fonts"):               # fontconfig, for plots in the notebook
        mounts.append(("ro", "/etc/fonts", "/etc/fonts"))
    if os.path.exists("/etc/ld.so.cache") or os.path.isdir("/etc/fonts"):
        mounts.append(("chmod", "0755", "/etc"))  # bwrap makes the folder of those binds 0700
    env = dict(env or {})
    made = {"/tmp", "/opt", sandbox.SANDBOX_ROOT}
    data = _data_dir(env, [notebook_dir] + [path for _, path in binds])
    if data and not data.startswith("/usr/"):
        mounts += policy.new_dirs(data, made) + [("ro", data, data)]
    for kind, path in binds:
        mounts += policy.new_dirs(path, made) + [(kind, path, path)]
        made.add(path)
    # JPY_PARENT_PID=1: no parent poller (the kernel's parent is the zygote or bwrap's init;
    # bwrap's --die-with-parent already ends every kernel with nbgrader) and no "connect to" banner
    env = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "JPY_PARENT_PID": "1", **env}
    return mounts, env


def _data_dir(env: dict, exposed) -> str:
    """The Fashion-MNIST folder the kernels may read (and $FASHION_MNIST_DIR set to it), or ""
    (and the variable dropped) when absent or when it holds the notebooks or a kernel's folder."""
    data = os.path.realpath(env["FASHION_MNIST_DIR"]) if env.get("FASHION_MNIST_DIR") else ""
    if data and os.path.isdir(data) and not any(p and policy.under(p, [data]) for p in exposed):
        env["FASHION_MNIST_DIR"] = data
        return data
    env.pop("FASHION_MNIST_DIR", None)
    return ""


def zygote_policy(*, shared: str, notebook_dir: str = "", env=None) -> sandbox.Policy:
    """The kernels' sandbox as root: the common view plus the kernels' view with their shared
    folder (writable). `env` (the variables passed to every kernel) becomes the zygote's, which
    its kernels inherit."""
    mounts, env = _kernel_view(binds=[("rw", shared)], notebook_dir=notebook_dir, env=env)
    return sandbox.Policy(package=KERNEL_PACKAGE, package_mounts=_boot_package(), entry="preloaded",
                          limits={**KERNEL_LIMITS, "tmp_mb": ZYGOTE_TMP_MB}, uid=None, confined=False,
                          mounts=mounts, env=env, extra={"uids": list(sandbox.KERNEL_UIDS)})


def kernel_policy(*, work: str, ipc: str, hook_results: str = "", notebook_dir: str = "", env=None,
                  limits=None) -> sandbox.Policy:
    """One kernel in a sandbox of its own (an ordinary user's user namespace: one uid inside, so
    no zygote shared by kernels): the same view, with only its working copy and its socket
    folder writable and its grading view read-only; ipykernel runs once confined, in `work`."""
    binds = [("rw", work), ("rw", ipc)] + ([("ro", hook_results)] if hook_results else [])
    mounts, env = _kernel_view(binds=binds, notebook_dir=notebook_dir, env=env)
    return sandbox.Policy(package=KERNEL_PACKAGE, package_mounts=_boot_package(), entry="main",
                          limits={**KERNEL_LIMITS, **(limits or {})}, uid=None, confined=True,
                          mounts=mounts, env=env, cwd=work)


def zygote_command(control_fd: int, *, shared: str, notebook_dir: str = "", env=None) -> list[str]:
    """The bwrap argv that starts the kernels' zygote on `control_fd`."""
    return sandbox.bwrap_argv(zygote_policy(shared=shared, notebook_dir=notebook_dir, env=env), [control_fd])


def _staged_packages() -> tuple[str, str]:
    """Staged copies (autograder/sandbox/staging.py) of the kernel's boot package and of the
    hook's stub package, for the Landlock mode, where nothing is mounted: (agkernel, autograder)
    folders, each named after its content."""
    with tempfile.TemporaryDirectory(prefix="agk-src-") as src:
        boot, hook = os.path.join(src, "boot"), os.path.join(src, "hook")
        os.mkdir(boot)
        os.mkdir(hook)
        worker = staged(policy.WORKER_DIR, policy.WORKER_PACKAGE)
        for name in ("__init__.py", "main.py", "preloaded.py"):
            shutil.copyfile(os.path.join(_BOOT_DIR, name), os.path.join(boot, name))
        for name in ("confine.py", "zygote.py"):
            shutil.copyfile(os.path.join(worker, name), os.path.join(boot, name))
        for name, path in _HOOK_FILES.items():
            shutil.copyfile(path, os.path.join(hook, name))
        return staged(boot, KERNEL_PACKAGE), staged(hook, "autograder")


def landlock_kernel_command(args, *, work: str, ipc: str, scratch: str, hook_results: str = "",
                            notebook_dir: str = "", env=None, limits=None) -> list:
    """One kernel where user namespaces are blocked: the argv of a plain process that
    boots like a Landlock worker (policy.landlock_command): rlimits, then Landlock (read the
    system, Python, its packages without the grader, the staged boot and hook packages, the kit,
    the data and its grading view; write only its working copy, its socket folder and its scratch)
    and seccomp, then ipykernel (its arguments: `args`); the caller starts it in `work` with
    landlock_kernel_env."""
    std, pkgs = policy.python_paths()
    boot, hook = _staged_packages()
    front = [os.path.dirname(boot), os.path.dirname(hook)]
    kit = policy.kit_dir()
    if kit:
        front.append(os.path.dirname(staged(kit, "cursocnn")))
    data = _data_dir(dict(env or {}), [notebook_dir, work, ipc, scratch])
    read = policy.landlock_system_view() + ["/etc/fonts", *front]
    read += [p for p in (data, hook_results) if p]
    cfg = sandbox.Policy(package=KERNEL_PACKAGE, package_mounts=[],
                         limits=policy.shared_uid_limits({**KERNEL_LIMITS, **(limits or {})}),
                         extra={"landlock": {"read": read, "write": [work, ipc, scratch, "/dev/null"]}}
                         ).boot_config(front, std + pkgs)
    return [os.path.realpath(sys.executable), *policy.PYTHON_FLAGS, "-c", policy.TRAMPOLINE, json.dumps(cfg),
            *map(str, args)]


def landlock_kernel_env(scratch: str, env=None) -> dict:
    """The whole environment of a Landlock kernel: the sandbox's, its scratch as home and temp
    folder, and `env` (the variables passed to kernels)."""
    env = dict(env or {})
    _data_dir(env, [])
    return {**policy.ENV, "HOME": scratch, "TMPDIR": scratch, "MPLCONFIGDIR": scratch,
            "JUPYTER_RUNTIME_DIR": scratch, "IPYTHONDIR": os.path.join(scratch, ".ipython"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline", "JPY_PARENT_PID": "1", **env}


# ------------------------------------------------------------------ the zygote of this process

def _shared_folder() -> str:
    for base in SHARED_BASES:
        real = os.path.realpath(base)
        if os.path.isdir(real) and not policy.under(real, ["/tmp"]) and os.access(real, os.W_OK):
            folder = tempfile.mkdtemp(prefix="agkz-", dir=real)
            os.chmod(folder, 0o711)               # kernels reach their own folder, list none
            return folder
    raise ConfinementUnavailable(f"autograder: no folder for the kernels' files (tried {', '.join(SHARED_BASES)})")


class KernelZygote:
    """This process's kernel sandbox: its shared folder and its zygote."""

    def __init__(self, notebook_dir: str, env: dict):
        self.owner = os.getpid()
        self.shared = _shared_folder()
        try:
            self.sandbox = ZygoteSandbox(lambda fd: zygote_command(fd, shared=self.shared, notebook_dir=notebook_dir,
                                                                   env=env),
                                         name="autograder-kernel-zygote")
        except BaseException:
            shutil.rmtree(self.shared, ignore_errors=True)
            raise

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.sandbox.alive()

    def close(self) -> None:
        if self.owner == os.getpid():
            self.sandbox.close()
            shutil.rmtree(self.shared, ignore_errors=True)


_zygote: KernelZygote | None = None
_zygote_lock = threading.Lock()


def kernel_zygote(notebook_dir: str, env: dict) -> KernelZygote:
    """This process's kernel zygote, started on first use (for the first kernel's notebook folder
    and the environment passed to kernels)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None and not _zygote.usable():
            _zygote.close()
            _zygote = None
        if _zygote is None:
            _zygote = KernelZygote(notebook_dir, env)
        return _zygote


@atexit.register
def _close_zygote():
    global _zygote
    for km in list(_live):
        try:
            km.release()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    with _zygote_lock:
        z, _zygote = _zygote, None
    if z is not None:
        z.close()


class RemoteKernelZygote:
    """The kernels' zygote of the course's warm service (autograder/nbgrader/warm.py), kept
    between commands: the same interface as KernelZygote (shared, sandbox.request, usable)."""

    def __init__(self, warm, notebook_dir: str, env: dict):
        from autograder.nbgrader.warm_client import WarmError
        self.warm = warm
        try:
            reply = warm.request({"op": "kernels", "notebook_dir": notebook_dir, "env": env}, timeout=180)
        except WarmError as exc:
            raise ZygoteError(str(exc)) from exc
        self.shared = reply["shared"]
        self.sandbox = self

    def request(self, message, fds=(), timeout=30.0):
        from autograder.nbgrader.warm_client import WarmError
        try:
            return self.warm.request({"op": "zygote", "message": message, "timeout": timeout}, fds,
                                     timeout=timeout + 10)
        except WarmError as exc:
            raise ZygoteError(str(exc)) from exc

    def usable(self) -> bool:
        return self.warm.alive()

    def close(self) -> None:
        pass


def _course_zygote(warm_store: str, folder: str, env: dict, log):
    """The warm service's kernels' zygote when there is one for this course, else this process's."""
    if warm_store:
        from autograder.nbgrader import warm_client
        warm = warm_client.client(warm_store)
        if warm is not None:
            try:
                return RemoteKernelZygote(warm, folder, env)
            except ZygoteError as exc:
                log.warning("autograder: the warm service's kernels did not start (%s); starting them here", exc)
    return kernel_zygote(folder, env)


# ------------------------------------------------------------------ one kernel

class KernelProcess:
    """A kernel forked by the zygote, as jupyter_client sees a kernel's Popen: it is alive while
    the write end of `alive` is open somewhere (the kernel or a fork of it)."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: KernelZygote, pid: int, uid: int, alive: int):
        self.zygote, self.pid, self.uid, self._alive = zygote, pid, uid, alive
        self.returncode = None

    def _end(self) -> int:
        """Kill whatever is left of its uid, reap it, and remember how it ended."""
        if self.returncode is None:
            try:
                status = self.zygote.sandbox.request({"op": "kill", "uid": self.uid, "pid": self.pid}).get("status")
            except ZygoteError:
                status = None                     # the whole sandbox is gone, the kernel with it
            self.returncode = -signal.SIGKILL if status is None else status
            os.close(self._alive)
        return self.returncode

    def poll(self):
        if self.returncode is None and select.select([self._alive], [], [], 0)[0]:
            self._end()
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                return None
            select.select([self._alive], [], [], 0.1)
        return self.returncode

    def kill(self):
        self._end()

    terminate = kill

    def send_signal(self, signum):
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.kill()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


class ZygoteProvisioner(LocalProvisioner):
    """Starts the kernel by asking the process's kernel zygote for a confined fork of it."""

    async def launch_kernel(self, cmd, **kwargs):
        km = self.parent
        alive_r, alive_w = os.pipe()
        null = os.open(os.devnull, os.O_WRONLY)
        # the kernel's own stdout/stderr (ipykernel sends what the notebook prints as messages):
        # nbgrader's, as for a kernel it starts itself, or /dev/null when those are closed
        out = [fd if _is_open(fd) else null for fd in (1, 2)]
        try:
            reply = km._zygote.sandbox.request(
                {"op": "spawn", "uid": km._uid, "rlimits": policy.rlimits(km._limits),
                 "tmp_bytes": km._limits["tmp_mb"] << 20, "cwd": km._work, "argv": list(cmd),
                 "env": km._kernel_env()},
                fds=[*out, alive_w])
        except BaseException:
            os.close(alive_r)
            raise
        finally:
            os.close(alive_w)
            os.close(null)
        self.process = KernelProcess(km._zygote, reply["pid"], reply["uid"], alive_r)
        self.pid, self.pgid = reply["pid"], None
        self.cwd = km._work
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if self.process:
            self.process.send_signal(signum)

    async def kill(self, restart: bool = False) -> None:
        if self.process:
            self.process.kill()

    async def terminate(self, restart: bool = False) -> None:
        await self.kill(restart)


# ------------------------------------------------------------------ the kernel manager

class ConfinedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in the grader's sandbox (module doc)."""

    notebook_dir = Unicode("", help="The notebook's folder: what the kernel's working folder is a "
                                    "copy of (default: the cwd nbclient passes)")
    hook_results = Unicode("", help="JSON file with this notebook's trusted grading, shown "
                                    "read-only to the kernel (autograder.nbgrader.snapshot)")
    keep_regular = List(Unicode(), help="Names in notebook_dir that must be regular files after "
                                        "the kernel ends (the notebook nbgrader writes back)")
    warm_store = Unicode("", help="The course's store, where its warm service listens "
                                  "(autograder/nbgrader/warm.py); empty: none")
    limits = Dict(help="Overrides of the kernel's limits (autograder.nbgrader.kernel.KERNEL_LIMITS)"
                  ).tag(config=True)
    pass_env = List(Unicode(), ["CNN_QUICK", "AUTOGRADER_LANG", "FASHION_MNIST_DIR", "TZ"],
                    help="Environment variables passed to the kernel (all others are cleared)"
                    ).tag(config=True)
    require_confinement = Bool(True, help="Refuse to start a kernel that cannot be confined "
                                          "(kernel_confinement() is 'unavailable')").tag(config=True)

    _uid = None
    _owner = None
    _limits = None     # KERNEL_LIMITS with this manager's overrides
    _home = None       # this kernel's folder in the zygote's shared folder
    _work = None       # its working copy of notebook_dir (cwd)
    _copied = None
    _zygote = None
    _confined = False
    _mode = None       # kernel_confinement() of this kernel
    _scratch = None    # Landlock: its HOME and TMPDIR (bwrap gives it a private /tmp)
    _launch_env = None
    _passed = None     # the variables the kernel gets (pass_env, its grading view)

    async def _async_pre_start_kernel(self, **kw):
        if self._uid is None and not self._setup(kw):
            if self.hook_results:       # unconfined: still only print the trusted grading
                kw["env"] = {**os.environ, **(kw.get("env") or {}),
                             "AUTOGRADER_HOOK_RESULTS": self.hook_results}
            return await super()._async_pre_start_kernel(**kw)
        if self._confined:
            kw["cwd"] = self._work
            if self._mode != "bwrap-root":          # its own process, started by jupyter_client
                kw["env"] = dict(self._launch_env)
            elif self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
                self.provisioner = ZygoteProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                     parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_start_kernel(self, **kw):
        try:
            await super()._async_start_kernel(**kw)
        except BaseException:
            self.release()          # nbclient does not shut down a kernel that failed to start
            raise

    start_kernel = _async_start_kernel

    def _kernel_env(self) -> dict:
        """On top of the zygote's environment (pass_env, as the zygote started)."""
        hook = self._passed.get("AUTOGRADER_HOOK_RESULTS")
        return {"AUTOGRADER_HOOK_RESULTS": hook} if hook else {}

    def _setup(self, kw) -> bool:
        mode = kernel_confinement()
        if mode in ("unavailable", "unconfined"):
            if mode == "unavailable" and self.require_confinement:
                raise ConfinementUnavailable(KERNEL_MISSING)
            self.log.warning("autograder: the nbgrader kernel runs UNCONFINED (%s)",
                             "AUTOGRADER_SANDBOX=none" if mode == "unconfined" else "require_confinement = False")
            return False
        folder = os.path.realpath(self.notebook_dir or kw.get("cwd") or os.getcwd())
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise RuntimeError(f"not a folder: {folder}")
        self.notebook_dir, self._mode = folder, mode
        self._owner = (st.st_uid, st.st_gid)
        self._limits = {**KERNEL_LIMITS, **(self.limits or {})}
        passed = {k: os.environ[k] for k in self.pass_env if k in os.environ}
        if mode == "bwrap-root":
            try:
                self._zygote = _course_zygote(self.warm_store, folder, passed, self.log)
            except ZygoteError as exc:
                raise RuntimeError(f"autograder: the kernels' sandbox did not start: {exc}") from exc
            self._uid = pick_uid()
            self._home = tempfile.mkdtemp(dir=self._zygote.shared)
            os.chmod(self._home, 0o711)
        else:
            # an ordinary user: the kernel runs as this account, in a folder of its own that the
            # sandbox binds at the same path (bwrap) or that Landlock grants (socket paths
            # must mean the same on both sides)
            self._uid = os.getuid()
            self._home = _shared_folder()
            os.chmod(self._home, 0o700)
        self._work = os.path.join(self._home, "work")
        os.mkdir(self._work, 0o700)
        self._copied = copy_in(folder, self._work, self._uid)
        ipc = os.path.join(self._home, "ipc")     # short path: unix socket names are limited to ~107 bytes
        os.mkdir(ipc, 0o700)
        os.chown(ipc, self._uid, self._uid)
        hook = os.path.join(self._home, "hook-results.json")
        if self.hook_results:
            shutil.copyfile(self.hook_results, hook)
            os.chmod(hook, 0o444)                 # not the kernel's to change (root mode: not its uid)
            passed["AUTOGRADER_HOOK_RESULTS"] = hook
        if mode == "landlock":
            self._scratch = os.path.join(self._home, "tmp")
            os.mkdir(self._scratch, 0o700)
            self._launch_env = landlock_kernel_env(self._scratch, passed)
        elif mode == "bwrap-userns":
            self._launch_env = {"PATH": policy.ENV["PATH"], "LANG": "C.UTF-8"}   # bwrap's own; --clearenv inside
        self._passed = passed
        self.transport = "ipc"
        self.ip = os.path.join(ipc, "k")
        self.cache_ports = False
        self.connection_file = os.path.join(ipc, "kernel.json")
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        self._confined = True
        _live.add(self)
        return True

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._confined:
            os.chown(self.connection_file, self._uid, self._uid)   # the kernel reads its key

    def format_kernel_cmd(self, extra_arguments=None):
        """Confined: ipykernel's own arguments (-f CONNECTION_FILE ...), for the zygote's fork,
        or the whole command of a kernel in a sandbox of its own (bwrap-userns, landlock)."""
        cmd = super().format_kernel_cmd(extra_arguments)
        if not self._confined:
            return cmd
        try:
            at = cmd.index("-m")
            module = cmd[at + 1]
        except (ValueError, IndexError):
            module = None
        if module not in ("ipykernel_launcher", "ipykernel"):
            raise RuntimeError(f"autograder: only a Python ipykernel can be confined, not {cmd!r}")
        args = cmd[at + 2:]
        hook = self._passed.get("AUTOGRADER_HOOK_RESULTS", "")
        ipc = os.path.dirname(self.connection_file)
        if self._mode == "bwrap-userns":
            return sandbox.bwrap_argv(kernel_policy(work=self._work, ipc=ipc, hook_results=hook,
                                                    notebook_dir=self.notebook_dir, env=self._passed,
                                                    limits=self.limits), args)
        if self._mode == "landlock":
            return landlock_kernel_command(args, work=self._work, ipc=ipc, scratch=self._scratch,
                                           hook_results=hook, notebook_dir=self.notebook_dir,
                                           env=self._passed, limits=self.limits)
        return args

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.release()

    def release(self) -> None:
        """Kill what is left of the kernel, bring back what it wrote, clean nbgrader's folder,
        remove the kernel's own."""
        if not self._confined:
            return
        self._confined = False
        _live.discard(self)
        try:
            process = self.provisioner.process if self.provisioner is not None else None
            if self._mode != "bwrap-root" and self.provisioner is not None and self.provisioner.pgid:
                try:   # the kernel's session: bwrap (its pid namespace goes with it) or the process
                    os.killpg(self.provisioner.pgid, signal.SIGKILL)
                except OSError:
                    pass
            if process is not None:
                process.kill()
                if self._mode != "bwrap-root":
                    try:
                        process.wait(10)
                    except Exception:  # noqa: BLE001 - it was killed; reaping is best effort
                        pass
            copy_back(self._work, self.notebook_dir, self._copied, skip=self.keep_regular)
            take_back(self.notebook_dir, self._owner, self.keep_regular)
        finally:
            shutil.rmtree(self._home, ignore_errors=True)


def check_confinement_first() -> None:
    """Make `nbgrader autograde` (and formgrader's Autograde button) say in one line, before any
    notebook, that nothing on this account can confine student code, and stop (nbgrader's own
    failure: exit status 1, no traceback). With `c.ConfinedKernelManager.require_confinement =
    False` it grades anyway: the trusted grading runs unconfined too (AUTOGRADER_SANDBOX=none, so
    every result says "unconfined"), with a warning. Called from the course's nbgrader_config.py;
    wraps Autograde.start once."""
    from nbgrader.converters import Autograde, NbGraderException

    if getattr(Autograde.start, "_autograder_checks", False):
        return
    original = Autograde.start

    def start(self):
        if any(isinstance(pp, type) and issubclass(pp, ConfinedExecute) for pp in self.autograde_preprocessors):
            mode = kernel_confinement()
            required = (self.config.get("ConfinedKernelManager") or {}).get("require_confinement", True)
            if mode == "unavailable" and required:
                self.log.error(KERNEL_MISSING)
                raise NbGraderException(KERNEL_MISSING)
            if mode == "unavailable":
                os.environ["AUTOGRADER_SANDBOX"] = "none"
                mode = "unconfined"
            if mode == "unconfined":
                self.log.warning("autograder: student code runs UNCONFINED (kernels and grading); "
                                 "every result says 'unconfined'")
            else:
                self.log.info("autograder: student code confined: %s", mode)
        return original(self)

    start._autograder_checks = True
    Autograde.start = start


def nbformat_output_note(text: str):
    """A stderr stream output (how Jupyter shows a warning) holding `text`."""
    import nbformat
    return nbformat.v4.new_output("stream", name="stderr", text=text + "\n")


class ConfinedExecute(Execute):
    """nbgrader's Execute with the kernel in the sandbox (ConfinedKernelManager). Reads the
    trusted grading's view of this notebook from resources["autograder"] (set before it by
    autograder.nbgrader.preprocessors.SnapshotSubmission).

    Each notebook has a wall-clock budget (notebook_budget; 0: the assignment's student budget,
    autograder/grading/budget.py): a cell gets at most what is left of it (the course's per-cell timeout,
    3600 s, would let each sleeping cell hold `nbgrader autograde` for an hour), an overrunning
    cell is interrupted with a note saying why, and once the budget is spent the remaining cells
    are not run. The notebook is graded as it stands: the scores come from the trusted grading of
    the snapshot, not from this run."""

    notebook_budget = Float(0.0, config=True,
                            help="Seconds of wall time for one notebook's execution (0: the "
                                 "assignment's budget)").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", ConfinedKernelManager)
        super().__init__(*args, **kwargs)
        self._deadline = None
        self._noted = False

    def _budget(self, resources) -> float:
        if self.notebook_budget > 0:
            return float(self.notebook_budget)
        from autograder.grading.budget import default_seconds
        return default_seconds(((resources or {}).get("nbgrader") or {}).get("assignment"))

    def preprocess(self, nb, resources=None, km=None):
        budget = self._budget(resources)
        nb.metadata.setdefault("autograder", {})["confinement"] = kernel_confinement()
        self._deadline, self._noted, self._cell_timeout = time.monotonic() + budget, False, self.timeout
        self._budget_seconds = budget
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.timeout = self._cell_timeout

    def _note(self):
        from autograder.nbgrader.trusted_grading import settings
        from autograder.text.i18n import tr
        return tr(settings()[0], "Celda detenida: el cuaderno ya usó los {seconds:g} s que tiene para "
                                  "ejecutarse al calificar. Las celdas siguientes no se ejecutaron; la "
                                  "nota viene de las pruebas ocultas, que no dependen de esta ejecución.",
                  seconds=self._budget_seconds)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self._deadline is None:
            return super().preprocess_cell(cell, resources, index)
        left = self._deadline - time.monotonic()
        if left <= 0:
            if not self._noted:  # say it once, where execution stopped
                self._noted = True
                cell.outputs = list(cell.get("outputs") or []) + [nbformat_output_note(self._note())]
            return cell, resources
        self.timeout = max(1, int(min(self._cell_timeout or left, left)))
        self.error_on_timeout = {"ename": "CellTimeoutError", "evalue": "", "traceback": [self._note()]}
        cell, resources = super().preprocess_cell(cell, resources, index)
        if any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
               for o in cell.get("outputs") or []):
            self._noted = True  # this cell carries the note
        return cell, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, ConfinedKernelManager):
            res = self.resources or {}
            path = (res.get("metadata") or {}).get("path")
            if path:
                km.notebook_dir = os.path.abspath(path)
            km.hook_results = (res.get("autograder") or {}).get("hook_results") or ""
            km.warm_store = (res.get("autograder") or {}).get("store") or ""
            if res.get("unique_key"):
                km.keep_regular = [f"{res['unique_key']}.ipynb"]
        return km
