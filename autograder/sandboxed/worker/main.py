"""Worker entry point, run inside the sandbox once confined (confine.boot): `main([READ_FD, WRITE_FD])`.

Messages (see wire.py):
  {"op": "load", "cells": [[label, source(, mode(, first_line))], ...], "only_definitions": bool}
      -> {"ok": True, "defined": [...], "notes": [[code, fields], ...]} (loader.py)
  {"op": "call", "probe": name, "args": [...], "kwargs": {...}}
      -> {"ok": True, "value": data} | {"ok": False, "error": {"type", "message", "traceback"}}

Student stdout/stderr are the process's fds 1 and 2 (a capped sink on the trusted side); the
protocol uses its own pipe fds, given on the command line.
"""
import builtins
import linecache
import os
import sys
import traceback

from . import wire
from .loader import load_cells
from .probes import PROBES

MAX_REQUEST = 512 << 20


def student_traceback(exc: BaseException) -> str:
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if str(f.filename).startswith("<student")]
        lines = traceback.format_list(frames[-5:])
        lines += traceback.format_exception_only(type(exc), exc)
        return "".join(lines)[-4000:]
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not break the worker
        return ""


def describe_error(exc: BaseException) -> dict:
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001
        message = "?"   # its __str__ failed
    try:
        type_name = str(type(exc).__name__)[:200]
    except BaseException:  # noqa: BLE001
        type_name = "Exception"
    return {"type": type_name, "message": message, "traceback": student_traceback(exc)}


def _register_sources(cells) -> None:
    """Let tracebacks quote the student's lines: the cells' sources, under the file names the
    loader compiles them with (<student:LABEL>), in linecache."""
    try:
        for cell in cells:
            label, source = str(cell[0]), str(cell[1])
            name = f"<student:{label}>"
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    except BaseException:  # noqa: BLE001 - quoting lines is a nicety
        pass


def handle(request, ns):
    op = request.get("op") if isinstance(request, dict) else None
    if op == "load":
        _register_sources(request["cells"])
        defined, notes = load_cells(request["cells"], ns, only_definitions=bool(request.get("only_definitions")))
        return {"ok": True, "defined": sorted(defined), "notes": notes}
    if op == "call":
        probe = PROBES.get(request.get("probe"))
        if probe is None:
            return {"ok": False, "error": {"type": "ProbeNotFound", "message": str(request.get("probe")),
                                           "traceback": ""}}
        try:
            return {"ok": True, "value": probe(ns, *request.get("args", ()), **request.get("kwargs", {}))}
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, custom BaseException
            return {"ok": False, "error": describe_error(exc)}
    if op == "ping":
        return {"ok": True, "pid": os.getpid()}
    return {"ok": False, "error": {"type": "ProtocolError", "message": str(op)[:200], "traceback": ""}}


def _restore(current: dict, pristine: dict) -> None:
    """Undo the student's changes to builtins (isinstance = lambda ...: True) so the worker's
    own code keeps working; student functions see the real builtins again too."""
    try:
        for k in [k for k in current if k not in pristine]:
            del current[k]
        current.update(pristine)
    except BaseException:  # noqa: BLE001
        pass


def serve(rfd: int, wfd: int) -> None:
    # Bind what the loop needs now: student code may later monkeypatch the modules.
    read_frame, decode, encode, write_frame = wire.read_frame, wire.decode, wire.encode, wire.write_frame
    ns: dict = {"__name__": "__student__"}
    me = os.getpid()
    pristine_builtins = dict(builtins.__dict__)
    while True:
        try:
            request = decode(read_frame(rfd, MAX_REQUEST))
        except EOFError:
            return
        try:
            reply = handle(request, ns)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": describe_error(exc)}
        if os.getpid() != me:  # a child the student forked came back here: it must not answer
            os._exit(0)
        _restore(builtins.__dict__, pristine_builtins)
        try:
            payload = encode(reply)
        except BaseException as exc:  # noqa: BLE001 - unsupported or hostile result objects
            try:
                detail = str(exc)[:500]
            except BaseException:  # noqa: BLE001
                detail = type(exc).__name__
            payload = wire.encode({"ok": False, "error": {"type": "UnsupportedResult",
                                                          "message": detail, "traceback": ""}})
        write_frame(wfd, payload)


def _quiet_threads():
    try:
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    except Exception:  # noqa: BLE001
        pass


def main(argv=None, cfg=None) -> None:
    """Entry point after confine.boot (cfg: the boot configuration): argv is [READ_FD, WRITE_FD]."""
    argv = sys.argv[1:] if argv is None else argv
    rfd, wfd = int(argv[0]), int(argv[1])
    _quiet_threads()
    try:
        serve(rfd, wfd)
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
