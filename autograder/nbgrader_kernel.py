"""The kernel that `nbgrader autograde` runs a student's notebook in, confined like a grader worker.

nbgrader executes each notebook with its `Execute` preprocessor, an nbclient NotebookClient that
starts a Jupyter kernel through `kernel_manager_class`, with the notebook's folder
(`autograded/<student>/<assignment>/`) as cwd. `ConfinedExecute` (an Execute whose kernel manager is
`ConfinedKernelManager`) starts that kernel inside the same bubblewrap view as the grader's worker
(autograder/sandbox/policy.py: read-only system, Python and site-packages with the grader and the
solutions masked, the kit, private /proc, /dev and /tmp, no network, no view of the host's pids),
as its own unprivileged uid, with:

* its notebook folder, at the same path, as the only writable place (handed to the kernel's uid
  while it runs, taken back afterwards: every symlink or special file the student left is removed,
  everything else is owned by the folder's owner again, before nbgrader writes anything there);
* nothing else of the course: no source/, release/, submitted/, other students' folders, gradebook
  or nbgrader_config.py;
* a stub package `autograder` holding only `nbgrader_hook.py` (what the grade cells import) and,
  read-only at HOOK_RESULTS, the trusted grading of this student's snapshot
  (autograder/nbgrader_snapshot.py) for hidden_score to print;
* the kernel's ZMQ sockets as unix sockets (transport "ipc") in a private folder bound into the
  sandbox, so that the sandbox keeps its own network namespace (no loopback shared with the host
  where other kernels or services listen).

Interrupts travel as messages (`interrupt_request` on the control channel): a signal to the
kernel's process group would only reach bwrap, which is outside the sandbox's session.
Without root or a working bwrap the manager refuses to start a kernel
(`ConfinedKernelManager.require_confinement = False` runs it unconfined, with a warning).
"""
from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, List, Unicode

from . import sandbox
from .sandbox import policy
from .worker.confine import kill_uid

KERNEL_PACKAGE = "agkernel"                                   # autograder/kernel_boot in the sandbox
HOOK_PACKAGE = f"{sandbox.SANDBOX_ROOT}/autograder"           # stub package: the hook only
HOOK_RESULTS = f"{sandbox.SANDBOX_ROOT}/hook-results.json"    # this notebook's trusted grading

_HERE = os.path.dirname(os.path.abspath(__file__))
_BOOT_DIR = os.path.join(_HERE, "kernel_boot")
_live: set = set()

# The kernel runs the student's whole notebook (demo cells included), not one probe call.
KERNEL_LIMITS = {**sandbox.DEFAULT_LIMITS, "cpu_s": 4 * 3600, "nproc": 256, "nofile": 1024, "tmp_mb": 1024}


class ConfinementUnavailable(RuntimeError):
    """No root or no working bwrap: the kernel cannot be confined."""


def pick_uid() -> int:
    return policy.pick_uid(sandbox.KERNEL_UIDS)


def _boot_package():
    """agkernel: kernel_boot's files and, beside them, the sandbox's boot (worker/confine.py)."""
    root = f"{sandbox.SANDBOX_ROOT}/{KERNEL_PACKAGE}"
    return [("dir", root),
            ("ro", os.path.join(_BOOT_DIR, "__init__.py"), f"{root}/__init__.py"),
            ("ro", os.path.join(_BOOT_DIR, "main.py"), f"{root}/main.py"),
            ("ro", policy.confine_file(), f"{root}/confine.py")]


def kernel_policy(*, notebook_dir: str, ipc_dir: str, uid: int, hook_results: str = "", limits=None,
                  env=None) -> sandbox.Policy:
    """The kernel's sandbox: the common view plus the hook's stub package, the grading view,
    the data (read-only), its sockets' and its notebook's folders (writable), cwd the latter."""
    limits = {**KERNEL_LIMITS, **(limits or {})}
    mounts = [("dir", HOOK_PACKAGE),
              ("ro", os.path.join(_HERE, "__init__.py"), f"{HOOK_PACKAGE}/__init__.py"),
              ("ro", os.path.join(_HERE, "nbgrader_hook.py"), f"{HOOK_PACKAGE}/nbgrader_hook.py")]
    if os.path.isdir("/etc/fonts"):               # fontconfig, for plots in the notebook
        mounts.append(("ro", "/etc/fonts", "/etc/fonts"))
    if os.path.exists("/etc/ld.so.cache") or os.path.isdir("/etc/fonts"):
        mounts.append(("chmod", "0755", "/etc"))  # bwrap makes the folder of those binds 0700
    env = dict(env or {})
    if hook_results:
        mounts.append(("ro", hook_results, HOOK_RESULTS))
        env["AUTOGRADER_HOOK_RESULTS"] = HOOK_RESULTS
    made = {"/tmp", "/opt", sandbox.SANDBOX_ROOT}
    data = os.path.realpath(env["FASHION_MNIST_DIR"]) if env.get("FASHION_MNIST_DIR") else ""
    exposes_course = policy.under(notebook_dir, [data]) if data else False
    if data and os.path.isdir(data) and not data.startswith("/usr/") and not exposes_course:
        mounts += policy.new_dirs(data, made) + [("ro", data, data)]
        env["FASHION_MNIST_DIR"] = data
    else:
        env.pop("FASHION_MNIST_DIR", None)
    for folder in (ipc_dir, notebook_dir):
        mounts += policy.new_dirs(folder, made) + [("rw", folder, folder)]
        made.add(folder)
    # JPY_PARENT_PID=1: no parent poller (the sandbox's init is the kernel's parent; bwrap's
    # --die-with-parent already ends the kernel with nbgrader) and no "connect to" banner
    env = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "JPY_PARENT_PID": "1", **env}
    return sandbox.Policy(package=KERNEL_PACKAGE, package_mounts=_boot_package(), limits=limits, uid=uid,
                          mounts=mounts, env=env, cwd=notebook_dir)


def kernel_command(kernel_args, *, notebook_dir: str, ipc_dir: str, uid: int, hook_results: str = "",
                   limits=None, env=None) -> list[str]:
    """The bwrap argv that runs ipykernel with `kernel_args` (e.g. ["-f", CONNECTION_FILE]) as
    `uid`, in `notebook_dir` (writable, same path inside), its sockets in `ipc_dir`."""
    return sandbox.bwrap_argv(kernel_policy(notebook_dir=notebook_dir, ipc_dir=ipc_dir, uid=uid,
                                            hook_results=hook_results, limits=limits, env=env),
                              list(kernel_args))


# ------------------------------------------------------------------ the kernel's uid and folder

def _walk(top: str):
    """Every path under `top` (not `top`), children before parents, never following links."""
    stack, out = [top], []
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                out.append(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return reversed(out)


def hand_over(folder: str, uid: int) -> None:
    """Give `folder` and everything in it to `uid` (the kernel writes only there)."""
    for path in _walk(folder):
        os.lchown(path, uid, uid)
    os.lchown(folder, uid, uid)


def take_back(folder: str, owner: tuple[int, int], keep_regular=()) -> None:
    """After the kernel's uid is dead: remove every symlink, fifo, socket or device under `folder`
    (nbgrader, as root, later chmods the files there and writes the notebook: a link would send
    that elsewhere), make regular files and folders `owner`'s again without set-id bits, and make
    sure each name in `keep_regular` is a regular file or absent."""
    for name in keep_regular:
        path = os.path.join(folder, name)
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    for path in list(_walk(folder)) + [folder]:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            os.lchown(path, *owner)
            os.chmod(path, 0o755)
        elif stat.S_ISREG(st.st_mode):
            os.lchown(path, *owner)
            os.chmod(path, (stat.S_IMODE(st.st_mode) & 0o755) | 0o600)
        else:
            os.unlink(path)


# ------------------------------------------------------------------ the kernel manager

class ConfinedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in the grader's sandbox (module doc)."""

    notebook_dir = Unicode("", help="The notebook's folder: the kernel's cwd and only writable "
                                    "place (default: the cwd nbclient passes)")
    hook_results = Unicode("", help="JSON file with this notebook's trusted grading, shown "
                                    "read-only to the kernel (autograder.nbgrader_snapshot)")
    keep_regular = List(Unicode(), help="Names in notebook_dir that must be regular files after "
                                        "the kernel ends (the notebook nbgrader writes back)")
    limits = Dict(help="Overrides of the kernel's limits (autograder.nbgrader_kernel.KERNEL_LIMITS)"
                  ).tag(config=True)
    pass_env = List(Unicode(), ["CNN_QUICK", "AUTOGRADER_LANG", "FASHION_MNIST_DIR", "TZ"],
                    help="Environment variables passed to the kernel (all others are cleared)"
                    ).tag(config=True)
    require_confinement = Bool(True, help="Refuse to start a kernel that cannot be confined "
                                          "(needs root and bubblewrap)").tag(config=True)

    _uid = None
    _ipc_dir = None
    _owner = None
    _confined = False

    async def _async_pre_start_kernel(self, **kw):
        if self._uid is None and not self._setup(kw):
            if self.hook_results:       # unconfined: still only print the trusted grading
                kw["env"] = {**os.environ, **(kw.get("env") or {}),
                             "AUTOGRADER_HOOK_RESULTS": self.hook_results}
            return await super()._async_pre_start_kernel(**kw)
        if self._confined:
            kw["cwd"] = self.notebook_dir
        return await super()._async_pre_start_kernel(**kw)

    async def _async_start_kernel(self, **kw):
        try:
            await super()._async_start_kernel(**kw)
        except BaseException:
            self.release()          # nbclient does not shut down a kernel that failed to start
            raise

    start_kernel = _async_start_kernel

    def _setup(self, kw) -> bool:
        if not sandbox.bwrap_available():
            msg = ("autograder: the nbgrader kernel cannot be confined (needs root and a working "
                   "bubblewrap); ")
            if self.require_confinement:
                raise ConfinementUnavailable(msg + "refusing to run student code. Set "
                                             "c.ConfinedKernelManager.require_confinement = False "
                                             "to run it unconfined (trusted notebooks only).")
            self.log.warning(msg + "running the kernel UNCONFINED")
            return False
        folder = os.path.realpath(self.notebook_dir or kw.get("cwd") or os.getcwd())
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise RuntimeError(f"not a folder: {folder}")
        self.notebook_dir = folder
        self._owner = (st.st_uid, st.st_gid)
        self._uid = pick_uid()
        kill_uid(self._uid)                       # nothing of a previous user of this uid survives
        # short path: unix socket names are limited to ~107 bytes
        self._ipc_dir = tempfile.mkdtemp(prefix="agk-", dir="/tmp")
        os.chown(self._ipc_dir, self._uid, self._uid)
        self.transport = "ipc"
        self.ip = os.path.join(self._ipc_dir, "k")
        self.cache_ports = False
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        hand_over(folder, self._uid)
        self._confined = True
        _live.add(self)
        return True

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._confined:
            os.chown(self.connection_file, self._uid, self._uid)   # the kernel reads its key

    def format_kernel_cmd(self, extra_arguments=None):
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
        env = {k: os.environ[k] for k in self.pass_env if k in os.environ}
        return kernel_command(cmd[at + 2:], notebook_dir=self.notebook_dir, ipc_dir=self._ipc_dir,
                              uid=self._uid, hook_results=self.hook_results, limits=self.limits,
                              env=env)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.release()

    def release(self) -> None:
        """Kill what is left of the kernel, take its folder back, remove its sockets."""
        if not self._confined:
            return
        self._confined = False
        _live.discard(self)
        kill_uid(self._uid)
        try:
            take_back(self.notebook_dir, self._owner, self.keep_regular)
        finally:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)


@atexit.register
def _release_all():
    for km in list(_live):
        try:
            km.release()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


class ConfinedExecute(Execute):
    """nbgrader's Execute with the kernel in the sandbox (ConfinedKernelManager). Reads the
    trusted grading's view of this notebook from resources["autograder"] (set before it by
    autograder.nbgrader_snapshot.SnapshotSubmission)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", ConfinedKernelManager)
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, ConfinedKernelManager):
            res = self.resources or {}
            path = (res.get("metadata") or {}).get("path")
            if path:
                km.notebook_dir = os.path.abspath(path)
            km.hook_results = (res.get("autograder") or {}).get("hook_results") or ""
            if res.get("unique_key"):
                km.keep_regular = [f"{res['unique_key']}.ipynb"]
        return km
