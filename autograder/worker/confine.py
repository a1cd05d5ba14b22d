"""Confinement of a process inside the sandbox: rlimits and the drop to an unprivileged uid.

The one place where that happens, for every process that runs untrusted code: a fresh sandbox's
boot (`boot`, what the bwrap command runs), each child of the zygote (zygote._child) and the
confined nbgrader kernel. Also the reaper that kills whatever a uid left running (`kill_uid`).
Standard library only: the trusted side imports it too (autograder.nbgrader_kernel), and the
nbgrader kernel's sandbox mounts this file alone (autograder/sandbox/policy.py).

The boot configuration is JSON built by autograder/sandbox/policy.py:
  {"front": [...], "back": [...]        sys.path entries before / after the interpreter's own,
   "rlimits": [[NAME, soft, hard], ...], "uid": int | None,
   "package": name, "entry": module}    what runs once confined: PACKAGE.ENTRY.main(args, cfg)
"""
import os
import resource
import signal
import sys

REFUSED = 97   # exit status of a process that could not be confined (it never runs student code)


def set_rlimits(rlimits) -> None:
    for name, soft, hard in rlimits:
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (ValueError, OSError):
            pass


def become(uid: int) -> None:
    """Drop every privilege for `uid` (as its own group, no supplementary groups); exit with
    REFUSED rather than go on with any root id left."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        os._exit(REFUSED)


def confine(rlimits, uid) -> None:
    """The rlimits, then (when running as root and a uid is given) the drop to that uid."""
    set_rlimits(rlimits)
    if uid is not None and os.getuid() == 0:
        become(int(uid))


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`: a forked reaper becomes `uid` and kills -1, which reaches
    processes that left their process group or session. Never root: `become` refuses it."""
    if int(uid) <= 0:
        raise ValueError(f"refusing to reap uid {uid}")
    pid = os.fork()
    if pid == 0:
        try:
            become(int(uid))
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def boot(cfg: dict, args) -> None:
    """Run by the bwrap (or fallback) command: set sys.path, confine, run the entry point."""
    sys.path.extend(cfg["back"])
    confine(cfg["rlimits"], cfg["uid"])
    import importlib
    importlib.import_module(f"{cfg['package']}.{cfg['entry']}").main(list(args), cfg)
