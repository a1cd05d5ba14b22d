"""Notebooks larger than the grader reads whole: their outputs (plots, long prints) are dropped in
a limited child process before anything else reads them.

Outputs never reach the grader (it grades code cells), so a notebook up to nbgrader's own limit
(NOTEBOOK_MAX_BYTES, 100 MB) is graded as long as its code fits the usual cap
(submission.MAX_FILE_BYTES). Parsing 100 MB of untrusted JSON costs several times that in memory,
so it happens in `python -I -S` limited to CHILD_SECONDS of CPU and CHILD_MEMORY of address space,
never in the grading process; the child returns the same notebook without outputs and
attachments, a few kilobytes of JSON the grader then reads as usual.
"""
from __future__ import annotations

import subprocess
import sys

NOTEBOOK_MAX_BYTES = 100 << 20   # nbgrader's default max_file_size is 100000 KB
CHILD_SECONDS = 60
CHILD_MEMORY = 3 << 30

_CHILD = r"""
import json, resource, sys
cpu, memory = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
data = sys.stdin.buffer.read()
try:
    text = data.decode("utf-8-sig")
except UnicodeDecodeError:
    text = data.decode("latin-1")
del data
nb = json.loads(text)
del text
if isinstance(nb, dict):
    for cell in nb.get("cells") or nb.get("worksheets") or []:
        if isinstance(cell, dict):
            cell.pop("attachments", None)
            if "outputs" in cell:
                cell["outputs"] = []
            for inner in cell.get("cells") or []:  # nbformat 3 worksheets
                if isinstance(inner, dict) and "outputs" in inner:
                    inner["outputs"] = []
sys.stdout.write(json.dumps(nb))
"""


def without_outputs(data: bytes) -> bytes | None:
    """The notebook `data` with every output and attachment removed (None: it is not JSON, or
    reading it overran the child's time or memory)."""
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _CHILD, str(CHILD_SECONDS),
                               str(CHILD_MEMORY)], input=data, capture_output=True,
                              timeout=CHILD_SECONDS + 10, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return done.stdout if done.returncode == 0 else None
