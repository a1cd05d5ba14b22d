"""What the "implement it yourself" rule costs on hostile files, in the grader's bounded child.

    python bench/static_rule_cost.py [--size-kb 1024]

For each shape of 1 MB hostile file (a chain of functions calling each other, an alias fan-out, an
alias cycle repeated, containers that capture each other, wide expressions) it measures
`implementation_check.analyse_bounded` (the child process the grader uses: wall time and the
child's peak memory) and, in the same run, the baseline every analysis of that file pays anyway:
`ast.parse` of the same text in a fresh interpreter. It prints both and their ratio, and the cost
of an ordinary submission (the ps1 reference) for scale. Record the figures in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "assignments"))

from cursocnn import implementation_check as rule  # noqa: E402

HEAD = "import torch\nimport torch.nn.functional as F\nimport numpy as np\n"


def hostile(kind: str, size: int) -> str:
    parts, i, total = [HEAD], 0, len(HEAD)
    while total < size:
        if kind == "call_chain":
            text = (f"def f{i}(X, K):\n    return f{i - 1}(X, K) + torch.zeros(1)\n" if i
                    else "def f0(X, K):\n    return X\n")
        elif kind == "alias_fanout":
            text = f"a{i} = a{i - 1}\na{i} = a{i - 1}.nn\n" if i else "a0 = torch\n"
        elif kind == "alias_cycles":
            text = f"p{i} = torch\nq{i} = p{i}.nn\np{i} = q{i}\n"
        elif kind == "captures":
            text = f"G{i} = [G{i - 1}, corr2d]\nG{i - 1}.append(G{i})\n" if i else "G0 = []\n"
        else:  # wide
            text = ("x{0} = ".format(i) + " + ".join(f"x{j}" for j in range(max(0, i - 30), i)) + "\n"
                    if i else "x0 = 1\n")
        parts.append(text)
        total += len(text)
        i += 1
    last = f"f{i - 1}(X, K)" if kind == "call_chain" else "X"
    parts.append(f"def corr2d(X, K):\n    return {last}\n")
    return "".join(parts)


def child_run(code: str, payload: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of `python -c code` reading payload on stdin."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", code], input=payload.encode(), check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) >> 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-kb", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_kb * 1024
    print(f"machine: {os.cpu_count()} cores; file size {size} bytes; limits: "
          f"{rule.ANALYSIS_SECONDS:g} s, {rule.ANALYSIS_MEMORY >> 20} MB")
    print(f"{'file':<14} {'parse s':>8} {'rule s':>8} {'ratio':>6} {'peak MB':>8}  verdict")
    reference = (ROOT / "reference" / "ps1_corr2d.py").read_text(encoding="utf-8")
    shapes = [("reference", reference)] + [(k, hostile(k, size)) for k in
                                          ("call_chain", "alias_fanout", "alias_cycles", "captures", "wide")]
    for kind, source in shapes:
        parse_s, _ = child_run("import ast, sys; ast.parse(sys.stdin.read())", source)
        # the peak memory of the analysis alone: a fresh child, RUSAGE_CHILDREN of this one grows
        # monotonically, so each shape is measured in its own grandchild
        probe = ("import json, resource, subprocess, sys, time\n"
                 f"sys.path.insert(0, {str(ROOT / 'assignments')!r})\n"
                 "from cursocnn import implementation_check as rule\n"
                 "src = sys.stdin.read()\n"
                 "t = time.perf_counter()\n"
                 "report, took = rule.analyse_bounded([['entrega.py', src]])\n"
                 "print(json.dumps({'s': time.perf_counter() - t, 'failure': report.failure,\n"
                 "  'kind': report.verdict('corr2d').kind,\n"
                 "  'mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10}))\n")
        out = subprocess.run([sys.executable, "-c", probe], input=source.encode(), check=True,
                             capture_output=True).stdout.decode()
        data = json.loads(out)
        verdict = data["failure"] or data["kind"] or "ok"
        print(f"{kind:<14} {parse_s:8.2f} {data['s']:8.2f} {data['s'] / parse_s:6.1f} {data['mb']:8d}  {verdict}")


if __name__ == "__main__":
    main()
