"""Grading benchmark: prints ratios measured in this one run.

(a) per-submission time of `autograder grade` against `nbgrader autograde` on the same
    notebooks (a temporary nbgrader course made from assignments/; goal: ours <= 1/3 of nbgrader);
(b) throughput of `autograder grade --jobs 1` against `--jobs 2` over N submissions
    (goal: >= 1.7x with two free cores).

    .venv/bin/python bench/grade_bench.py [--assignment ps1_corr2d] [--n 50] [--nb 3] [--skip-nbgrader]

Needs nbgrader (the [nbgrader] extra) for (a). Record the figures in docs/benchmarks.md
("Grading"), with the machine and its load: both parts are CPU-bound.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(cmd, **kw):
    t = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    return time.perf_counter() - t, r


def grade_time(subs, out, jobs, assignment):
    dt, r = run([sys.executable, "-m", "autograder", "grade", "--assignment", assignment, "--out", out,
                 "--jobs", jobs, "--force", *subs], cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"autograder grade failed ({r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}")
    return dt


def nbgrader_course(tmp, assignment, n):
    """A temporary nbgrader course with n students who submitted the source notebook."""
    course = tmp / "course"
    shutil.copytree(ROOT / "assignments", course, symlinks=False,
                    ignore=shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded",
                                                  "feedback", "__pycache__"))
    cfg = course / "nbgrader_config.py"
    cfg.write_text(re.sub(r"^HERE = .*$", f"HERE = {str(course)!r}", cfg.read_text(), flags=re.M))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=str(ROOT))
    _, r = run([BIN / "nbgrader", "generate_assignment", assignment, "--force"], cwd=course, env=env)
    if r.returncode != 0:
        sys.exit("nbgrader generate_assignment failed:\n" + r.stderr[-3000:])
    notebooks = []
    for i in range(n):
        d = course / "submitted" / f"alumno{i:02d}" / assignment
        shutil.copytree(course / "release" / assignment, d)
        # a filled-in notebook: the source notebook (solutions in place) under the released name
        nb = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text())
        (d / f"{assignment}.ipynb").write_text(json.dumps(nb))
        notebooks.append(d / f"{assignment}.ipynb")
    return course, env, notebooks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assignment", default="ps1_corr2d")
    ap.add_argument("--n", type=int, default=50, help="submissions for the --jobs comparison")
    ap.add_argument("--nb", type=int, default=3, help="submissions for the nbgrader comparison")
    ap.add_argument("--skip-nbgrader", action="store_true")
    args = ap.parse_args()
    a = args.assignment
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; assignment {a}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_nbgrader:
            course, env, notebooks = nbgrader_course(tmp, a, args.nb)
            t_nb, r = run([BIN / "nbgrader", "autograde", a, "--create", "--force"], cwd=course, env=env)
            if r.returncode != 0:
                sys.exit("nbgrader autograde failed:\n" + r.stderr[-3000:])
            t_ag = grade_time(notebooks, tmp / "out-nb", 1, a)
            per_nb, per_ag = t_nb / len(notebooks), t_ag / len(notebooks)
            print(f"(a) {len(notebooks)} notebooks: nbgrader autograde {per_nb:.2f} s/submission, "
                  f"autograder grade {per_ag:.2f} s/submission: ratio {per_ag / per_nb:.2f} "
                  f"(goal <= 0.33)")
        ex = ROOT / "examples" / a
        sources = sorted(p for p in ex.iterdir() if p.suffix in (".py", ".ipynb"))
        subs = []
        for i in range(args.n):
            src = sources[i % len(sources)]
            dst = tmp / "lote" / f"e{i:03d}{src.suffix}"
            dst.parent.mkdir(exist_ok=True)
            shutil.copy(src, dst)
            subs.append(dst)
        t1 = grade_time(subs, tmp / "out-j1", 1, a)
        t2 = grade_time(subs, tmp / "out-j2", 2, a)
        print(f"(b) {args.n} submissions: --jobs 1 {t1:.1f} s ({t1 / args.n:.2f} s/submission), "
              f"--jobs 2 {t2:.1f} s ({t2 / args.n:.2f} s/submission): speed-up {t1 / t2:.2f}x "
              f"(goal >= 1.7)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
