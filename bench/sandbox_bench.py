"""Sandbox start-up benchmark: prints, from one run, the start-up time of a worker in a fresh
bwrap sandbox (AUTOGRADER_ZYGOTE=0 behaviour) against one forked by the per-process zygote.

    .venv/bin/python bench/sandbox_bench.py [--n 5]

"start-up" is Session.startup_seconds: from asking for a worker to its first answer (ping), i.e.
what every Session and every restart after a crash pays; the zygote's own start (one per
grading process) is printed separately. Needs root and bwrap. Record the figures in
docs/benchmarks.md ("Sandbox start-up") with the machine's load average.
"""
import argparse
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autograder import sandbox
from autograder.sandbox import Session

CODE = "import torch\n\ndef f(x):\n    return x\n"


def one(**kw):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with Session(CODE, "ps1_corr2d", isolation="bwrap", **kw) as s:
            assert s.call("call_function", "f", 1, timeout=60) == 1
            return s.startup_seconds[0], time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    if not sandbox.bwrap_available():
        sys.exit("needs root and a working bwrap")
    print(f"load average before: {os.getloadavg()}")
    t = time.perf_counter()
    one()  # starts the zygote
    zygote_boot = time.perf_counter() - t
    fresh, zyg = [], []
    for _ in range(args.n):  # interleaved, so both see the same load
        fresh.append(one(zygote=False))
        zyg.append(one())
    f_start, z_start = statistics.median(x[0] for x in fresh), statistics.median(x[0] for x in zyg)
    f_total, z_total = statistics.median(x[1] for x in fresh), statistics.median(x[1] for x in zyg)
    print(f"zygote boot (once per grading process, incl. first session): {zygote_boot:.2f} s")
    print(f"worker start-up, median of {args.n}: fresh sandbox {f_start:.3f} s, zygote {z_start:.3f} s, "
          f"ratio {f_start / z_start:.1f}x")
    print(f"session (start + load + one call + close), median: fresh {f_total:.3f} s, zygote {z_total:.3f} s, "
          f"ratio {f_total / z_total:.1f}x")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
