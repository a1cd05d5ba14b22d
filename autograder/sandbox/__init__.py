"""Run a submission's code isolated, and call probes on it (see docs/architecture.md, docs/security.md).

    errors.py         what a Session raises (StudentError, StudentCrash: codes and fields, no text)
    policy.py         what a sandbox sees and may do, and the one place that becomes a bwrap command
    staging.py        private copies of the worker package and the kit to bind into a sandbox
    zygote_client.py  the per-process zygote that forks workers with torch already imported
    session.py        Session: one submission's worker (start, load, call, crash handling)

Inside the sandbox, autograder/sandboxed/worker/confine.py applies the rlimits and drops the uid.
"""
from .errors import ConfinementUnavailable, SandboxError, StudentCrash, StudentError, ZygoteError
from .policy import (
    DEFAULT_LIMITS,
    KERNEL_UIDS,
    MISSING_CONFINEMENT,
    SANDBOX_ROOT,
    WORKER_PACKAGE,
    WORKER_UIDS,
    Policy,
    bwrap_argv,
    bwrap_available,
    bwrap_command,
    confinement_mode,
    plain_command,
)
from .session import KEEP_OUTPUT, MAX_REPLY, Session, confinement_label, resolve_isolation
from .zygote_client import ZygoteChild, shutdown_zygote

__all__ = ["DEFAULT_LIMITS", "KEEP_OUTPUT", "KERNEL_UIDS", "MAX_REPLY", "MISSING_CONFINEMENT", "SANDBOX_ROOT",
           "WORKER_PACKAGE", "WORKER_UIDS", "ConfinementUnavailable", "Policy", "SandboxError", "Session",
           "StudentCrash", "StudentError", "ZygoteChild", "ZygoteError", "bwrap_argv", "bwrap_available",
           "bwrap_command", "confinement_label", "confinement_mode", "plain_command", "resolve_isolation",
           "shutdown_zygote"]


def __getattr__(name):
    if name == "_zygote":   # this process's zygote, or None (it lives in zygote_client)
        from . import zygote_client
        return zygote_client._zygote
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
