"""Worker entry point: `python -m <pkg>.main READ_FD WRITE_FD` inside the sandbox.

Messages (see wire.py):
  {"op": "load", "cells": [[label, source], ...]} -> {"ok": True, "defined": [...], "notes": [...]}
  {"op": "call", "probe": name, "args": [...], "kwargs": {...}}
      -> {"ok": True, "value": data} | {"ok": False, "error": {"type", "message", "traceback"}}
"""
import os
import sys
import traceback

from . import wire
from .loader import load_cells
from .probes import PROBES

MAX_REQUEST = 512 << 20


def student_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<student")]
    lines = traceback.format_list(frames[-5:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-4000:]


def describe_error(exc: BaseException) -> dict:
    try:
        message = str(exc)[:2000]
    except BaseException:
        message = "<el mensaje de la excepción no se pudo convertir a texto>"
    return {"type": type(exc).__name__[:200], "message": message, "traceback": student_traceback(exc)}


def serve(rfd: int, wfd: int) -> None:
    ns: dict = {"__name__": "__student__"}
    while True:
        try:
            request = wire.decode(wire.read_frame(rfd, MAX_REQUEST))
        except EOFError:
            return
        op = request.get("op")
        if op == "load":
            defined, notes = load_cells(request["cells"], ns)
            reply = {"ok": True, "defined": sorted(defined), "notes": notes}
        elif op == "call":
            probe = PROBES.get(request["probe"])
            if probe is None:
                reply = {"ok": False, "error": {"type": "ProbeNotFound", "message": request["probe"], "traceback": ""}}
            else:
                try:
                    reply = {"ok": True, "value": probe(ns, *request.get("args", ()), **request.get("kwargs", {}))}
                except BaseException as exc:  # the student may raise anything, SystemExit included
                    reply = {"ok": False, "error": describe_error(exc)}
        else:
            reply = {"ok": False, "error": {"type": "ProtocolError", "message": str(op), "traceback": ""}}
        try:
            payload = wire.encode(reply)
        except BaseException as exc:
            payload = wire.encode({"ok": False, "error": {"type": "UnsupportedResult",
                                                          "message": str(exc)[:500], "traceback": ""}})
        wire.write_frame(wfd, payload)


def main() -> None:
    rfd, wfd = int(sys.argv[1]), int(sys.argv[2])
    serve(rfd, wfd)
    os._exit(0)


if __name__ == "__main__":
    main()
