"""Trusted side of the probe protocol: start an isolated worker for one submission and call probes.

Isolation (see docs/security.md and policy.py): when running as root with bubblewrap available,
the worker runs in its own sandbox (forked by this process's zygote, zygote_client.py, or started
fresh), as an unprivileged uid, under rlimits. Otherwise it falls back to a plain subprocess with
rlimits, and says so loudly (warning + log + a load note).

Student stdout/stderr go to a capped sink; the protocol uses two dedicated pipes; replies are
size-capped and decoded with torch.load(weights_only=True). Load notes and crashes carry codes and
fields, never text: autograder/text/student_notes.py renders them for the student.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings

from autograder.sandboxed.worker import wire

from .errors import ConfinementUnavailable, SandboxError, StudentCrash, StudentError, ZygoteError
from .policy import (
    DEFAULT_LIMITS,
    ENV,
    MISSING_CONFINEMENT,
    bwrap_command,
    confinement_mode,
    landlock_command,
    pick_uid,
    plain_command,
    rlimits,
)
from .zygote_client import ZygoteChild, get_zygote, zygote_enabled

log = logging.getLogger("autograder.sandbox")

MAX_REPLY = 64 << 20
KEEP_OUTPUT = 16 << 10  # bytes of student output kept for display


def _env_mode():
    return os.environ.get("AUTOGRADER_SANDBOX", "auto").strip().lower() or "auto"


def resolve_isolation(mode=None) -> str:
    """"bwrap" (root: a uid per worker, zygote), "userns" (an ordinary user: bwrap in a user
    namespace, a sandbox per worker), "landlock" (user namespaces blocked: a plain process that
    restricts itself with Landlock) or "none" (AUTOGRADER_SANDBOX=none / --unconfined: a plain
    subprocess with rlimits, every result marked "unconfined"). "auto" never falls back silently:
    without confinement it raises ConfinementUnavailable with what is missing."""
    mode = mode or _env_mode()
    if mode not in ("auto", "bwrap", "none"):
        raise ValueError(f"isolation must be auto, bwrap or none, not {mode!r}")
    if mode == "none":
        return "none"
    found = confinement_mode()
    if found is None:
        raise ConfinementUnavailable(MISSING_CONFINEMENT)
    return {"root": "bwrap"}.get(found, found)


def confinement_label(mode=None) -> str:
    """What a result says about where its student code ran: "bwrap-root", "bwrap-userns",
    "landlock" or "unconfined" ("unavailable" when nothing would run it)."""
    try:
        isolation = resolve_isolation(mode)
    except ConfinementUnavailable:
        return "unavailable"
    return {"bwrap": "bwrap-root", "userns": "bwrap-userns", "landlock": "landlock"}.get(isolation, "unconfined")


class Session:
    """One submission's worker. `Session(cells, assignment)`; see docs/architecture.md.

    isolation: "auto" or "bwrap" (the best confinement of this account, see resolve_isolation;
    ConfinementUnavailable without any) or "none" (plain subprocess with rlimits: unconfined).
    The AUTOGRADER_SANDBOX environment variable supplies the default.

    zygote: in bwrap mode, fork each worker from a per-process zygote sandbox that has torch
    imported already (default; AUTOGRADER_ZYGOTE=0 disables it) instead of starting a sandbox.

    budget: an autograder.grading.budget.StudentBudget shared by every load and call of the submission
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
        self.use_zygote = self.isolation == "bwrap" and zygote_enabled(zygote)
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
        return resolve_isolation(mode)

    def __enter__(self):
        self._start()
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def isolated(self) -> bool:
        return self.isolation in ("bwrap", "userns", "landlock")

    def _spawn(self):
        r_req, w_req = os.pipe()
        r_rep, w_rep = os.pipe()
        r_out, w_out = os.pipe()
        try:
            if self.use_zygote:
                try:
                    z = get_zygote()
                    reply = z.request({"op": "spawn", "uid": self.uid, "rlimits": rlimits(self.limits),
                                       "tmp_bytes": self.limits["tmp_mb"] << 20},
                                      fds=(r_req, w_rep, w_out))
                    self.proc = ZygoteChild(z, reply["pid"], reply["uid"])
                except (ZygoteError, KeyError, TypeError) as exc:
                    log.warning("autograder: zygote unavailable (%s); starting a fresh sandbox", exc)
                    self.use_zygote = False
            if self.proc is None:
                if self.isolation in ("bwrap", "userns"):
                    # an ordinary user's namespace maps one uid: no uid of its own per worker,
                    # its own sandbox (pid namespace) instead
                    uid = None if self.isolation == "userns" else self.uid if self.uid is not None else pick_uid()
                    cmd, cwd = bwrap_command(r_req, w_rep, self.limits, uid), "/"
                else:
                    if self._scratch is None:
                        self._scratch = tempfile.mkdtemp(prefix="ag-scratch-")
                    if self.isolation == "landlock":
                        cmd = landlock_command(r_req, w_rep, self.limits, self._scratch)
                    else:
                        cmd = plain_command(r_req, w_rep, self.limits)
                    cwd = self._scratch
                env = dict(ENV, HOME=cwd, TMPDIR=cwd, MPLCONFIGDIR=cwd)
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
        if isinstance(proc, ZygoteChild):
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
                raise self._give_up(exc) from exc
            self._only_definitions = True   # the note says the code was reloaded this way
            self.load_notes.append(("load_crash", {"crash": exc.as_data()}))
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
            raise self._give_up(exc) from exc
        self._after_load(reply, first)

    def _give_up(self, exc):
        """Even the definitions-only load crashed: every later call raises this."""
        self._broken = StudentCrash("load", "load_failed", crash=exc.as_data())
        self.load_notes.append(("load_failed", {"crash": exc.as_data()}))
        return self._broken

    def _after_load(self, reply, first):
        if first:
            self.defined = set(reply.get("defined", ()))
            self.load_notes += [tuple(n) for n in reply.get("notes", ())]
            if self.isolation == "none":
                self.load_notes.append(("sandbox_unisolated", {}))
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

    def _crash(self, reason, code, **fields):
        proc = self.proc
        self._kill()
        if self._output_exceeded:
            return StudentCrash("output", "output_limit", kb=self.limits["output_bytes"] >> 10)
        if reason == "died" and proc is not None and proc.returncode is not None:
            fields["exit_code"] = proc.returncode
        return StudentCrash(reason, code, **fields)

    def _no_time_left(self):
        return StudentCrash("budget", "no_time_left", seconds=self.budget.seconds)

    def _request(self, message, timeout):
        charged = self.budget is not None and message.get("op") in ("load", "call")
        if not charged:
            return self._exchange(message, timeout)
        left = self.budget.left()
        if left <= 0:
            raise self._no_time_left()
        t0 = time.monotonic()
        try:
            return self._exchange(message, min(timeout, left))
        except StudentCrash as exc:
            if exc.reason == "timeout" and left < timeout:
                raise StudentCrash("budget", "budget_used", seconds=self.budget.seconds) from exc
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
                raise self._crash("output", "output_limit")
            raise StudentCrash("timeout", "timeout", seconds=timeout)
        if "error" in result:
            err = result["error"]
            if isinstance(err, wire.WireError):
                raise self._crash("protocol", "wire", error=str(err)[:300])
            raise self._crash("died", "worker_ended")
        try:
            with warnings.catch_warnings():  # forged pickles make torch warn about their protocol
                warnings.simplefilter("ignore", UserWarning)
                reply = wire.decode(result["raw"])
        except Exception as exc:  # noqa: BLE001 - weights_only refuses anything but data
            raise self._crash("protocol", "unreadable_reply", error=type(exc).__name__)
        if not isinstance(reply, dict) or "ok" not in reply:
            raise self._crash("protocol", "malformed_reply")
        return reply

    def call(self, probe, *args, timeout=10.0, **kwargs):
        if self.budget is not None and self.budget.exhausted:  # no reload for nothing
            raise self._no_time_left()
        if self.proc is None:
            if self._loaded:
                self.restarts += 1
            self._start()
        reply = self._request({"op": "call", "probe": probe, "args": list(args), "kwargs": kwargs}, timeout)
        if reply["ok"]:
            if "value" not in reply:
                raise self._crash("protocol", "reply_without_value")
            return reply["value"]
        err = reply.get("error")
        if not isinstance(err, dict):
            raise self._crash("protocol", "malformed_error")
        raise StudentError(str(err.get("type", "?")), str(err.get("message", "")), str(err.get("traceback", "")))
