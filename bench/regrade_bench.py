"""ps5 regrade benchmark: the cost of grading the same ps5 submissions again, with the training
cache (autograder/training/check.py, TrainingCache) against the first pass that trains.

Runs `autograder grade --assignment ps5_lenet` on N copies of the reference (each copy is a
different submission with the same LeNets) with an empty training cache, then again on the same
copies into a fresh --out (a regrade: every submission is graded, nothing is trained). Prints
both times and the ratio first/second; also how many models the first pass trained (should be
2, whatever N).

    .venv/bin/python bench/regrade_bench.py [--n 3] [--device cpu]

Record the figures in docs/benchmarks.md ("Regrading ps5"), with the machine and its load.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def grade(subs, out, env, device):
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "ps5_lenet",
                        "--device", device, "--out", str(out), *map(str, subs)],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"autograder grade failed ({r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}")
    return time.perf_counter() - t, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    ref = (ROOT / "reference" / "ps5_lenet.py").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="regrade-bench-") as tmp:
        tmp = Path(tmp)
        subs = []
        for i in range(args.n):
            p = tmp / "subs" / f"alumno{i}.py"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(ref + f"\n# alumno {i}\n", encoding="utf-8")
            subs.append(p)
        env = dict(os.environ, AUTOGRADER_TRAINING_CACHE=str(tmp / "cache"),
                   PYTHONPATH=f"{ROOT}:{ROOT / 'assignments'}")
        env.pop("AUTOGRADER_TRAINING_CACHE_SINCE", None)
        first, log1 = grade(subs, tmp / "out1", env, args.device)
        second, log2 = grade(subs, tmp / "out2", env, args.device)
        trained = log1.count(": entrenando con la receta")
        retrained = log2.count(": entrenando con la receta")
    print(f"submissions: {args.n} (same LeNets), device {args.device}")
    print(f"first pass (trains):   {first:7.1f} s, models trained: {trained}")
    print(f"regrade (cache):       {second:7.1f} s, models trained: {retrained}")
    print(f"ratio first/regrade:   {first / second:7.1f}x")


if __name__ == "__main__":
    main()
