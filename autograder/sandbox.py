"""Trusted side of the probe protocol: start a worker for one submission and call probes.
(Minimal, unisolated version: the sandbox issue adds bwrap, an unprivileged user and limits.)"""
import os
import signal
import subprocess
import sys
import threading

from .worker import wire

MAX_REPLY = 256 << 20


class StudentError(Exception):
    """The student's code raised inside a probe."""

    def __init__(self, type_name, message, traceback_text=""):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.traceback_text = type_name, message, traceback_text


class StudentCrash(Exception):
    """The worker died, timed out, or broke the protocol while running student code."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class Session:
    def __init__(self, cells, assignment, *, load_timeout=60.0):
        if isinstance(cells, str):
            cells = [["submission", cells]]
        self.cells, self.assignment, self.load_timeout = [list(c) for c in cells], assignment, load_timeout
        self.proc = None
        self.defined, self.load_notes = set(), []

    def __enter__(self):
        self._start()
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        r_req, w_req = os.pipe()
        r_rep, w_rep = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.worker.main", str(r_req), str(w_rep)],
            pass_fds=(r_req, w_rep), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        os.close(r_req)
        os.close(w_rep)
        self.wfd, self.rfd = w_req, r_rep
        reply = self._request({"op": "load", "cells": self.cells}, self.load_timeout)
        self.defined, self.load_notes = set(reply["defined"]), [tuple(n) for n in reply["notes"]]

    def _kill(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            for fd in (self.wfd, self.rfd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None

    def close(self):
        self._kill()

    def _request(self, message, timeout):
        result = {}

        def exchange():
            try:
                wire.write_frame(self.wfd, wire.encode(message))
                result["reply"] = wire.decode(wire.read_frame(self.rfd, MAX_REPLY))
            except BaseException as exc:  # noqa: BLE001 - reported as a crash below
                result["error"] = exc

        t = threading.Thread(target=exchange, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            self._kill()
            raise StudentCrash("timeout", f"{timeout:g} s")
        if "error" in result:
            self._kill()
            raise StudentCrash("died", repr(result["error"])[:300])
        reply = result["reply"]
        if not isinstance(reply, dict) or "ok" not in reply:
            self._kill()
            raise StudentCrash("protocol", "malformed reply")
        return reply

    def call(self, probe, *args, timeout=10.0, **kwargs):
        if self.proc is None:
            self._start()
        reply = self._request({"op": "call", "probe": probe, "args": list(args), "kwargs": kwargs}, timeout)
        if reply["ok"]:
            return reply["value"]
        err = reply["error"]
        raise StudentError(err.get("type", "?"), err.get("message", ""), err.get("traceback", ""))
