"""Private copies of our own folders (the worker package, the kit) to bind into a sandbox.

A bind mount's source path shows in the sandbox's /proc/self/mountinfo, and the checkout's path
would tell where reference/ and the suites live: the sandbox binds a copy outside the checkout
instead. The copy is named after its content (TMPDIR/autograder-stage-EUID-DIGEST/NAME), so every
grading process (and fork) shares it and a changed worker gets a new one; it is used only when it
is a folder of ours that no one else can write to.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile

from .errors import SandboxError

_staged_dirs: dict = {}


def tree_digest(src):
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


def staged(src, name):
    """The staged copy of the trusted folder src, as TMPDIR/autograder-stage-EUID-DIGEST/name."""
    if src in _staged_dirs:
        return _staged_dirs[src]
    top = os.path.join(tempfile.gettempdir(), f"autograder-stage-{os.geteuid()}-{tree_digest(src)}")
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
