"""Student time of the reference solutions (to size autograder/grading/budget.py's defaults) and wall
time of the cheats the budget and the untrusted-file rules stop. Prints figures measured in
this one run; record them in docs/benchmarks.md ("Time budget") and docs/security.md.

    .venv/bin/python bench/budget_bench.py [--assignments ps1_corr2d ...] [--cheats] [--stall]

(1) reference: grades examples/<id>/perfecta.ipynb (the source notebook, filled in with the
    reference) and prints extra_data.student_seconds (loads + calls of student code, the
    budget's currency) against the default budget. ps5's trusted LeNet training is left out
    (its suite file test_ps5_lenet_training.py is not run): it is the grader's time, not
    charged to the budget, and takes minutes on CPU.
(2) --cheats: wall time of the untrusted-file cheats (links, special files, a link loop in a
    batch) and of loading a .py with many `# %%` blocks, against the former padding loader
    (baseline measured here on the same file).
(3) --stall: the lane-holding cheat (load just under the load limit, every call hangs; see
    stall_source) graded with the default budget of ps1 and ps5.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "assignments")]

from autograder.grading import budget, engine  # noqa: E402
from autograder.intake.submission import Submission, _add_cells, load_submission  # noqa: E402


def grade(path, assignment, *, skip_training=True, budget_s=None):
    files = engine.suite_files
    if skip_training:
        engine.suite_files = lambda a: [f for f in files(a) if "_training" not in f]
    try:
        t = time.perf_counter()
        res = engine.grade(path, assignment, budget=budget_s)
        return res, time.perf_counter() - t
    finally:
        engine.suite_files = files


def reference(assignments):
    print("== reference solutions: student time per submission (loads + calls)")
    print(f"{'assignment':14} {'student s':>9} {'wall s':>7} {'score':>11} {'budget s':>8} {'margin':>7}")
    for a in assignments:
        res, wall = grade(ROOT / "examples" / a / "perfecta.ipynb", a)
        used = res["extra_data"].get("student_seconds")
        b = budget.default_seconds(a)
        print(f"{a:14} {used:9.2f} {wall:7.1f} {res['score']:>5}/{res['max_score']:<5} {b:8.0f} "
              f"{b / used if used else float('inf'):6.1f}x")


def _padding_loader(text, name="x.py"):
    """The former _read_py: every block padded with (first line - 1) newlines (quadratic)."""
    lines = text.splitlines(keepends=True)
    chunks, current, start = [], [], 1
    for n, ln in enumerate(lines, start=1):
        if ln.startswith("# %%") and current:
            chunks.append((start, current))
            current, start = [], n
        current.append(ln)
    if current:
        chunks.append((start, current))
    sub = Submission(path=name)
    _add_cells(sub, [(f"{name}, bloque {s}", "\n" * (s - 1) + "".join(c), None) for s, c in chunks])
    return sub


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def cheats():
    print("== untrusted files: wall time of load_submission (or of the whole batch)")
    tmp = Path(tempfile.mkdtemp(prefix="budget-bench-"))
    try:
        ref = ROOT / "reference" / "ps1_corr2d.py"
        src_nb = ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb"
        cases = {}
        d = tmp / "link_ref"
        d.mkdir()
        (d / "ps1_corr2d.py").symlink_to(ref)
        cases["folder: ps1_corr2d.py -> reference"] = d
        secret = tmp / "secret"
        secret.write_text("SECRET = (\n")
        os.chmod(secret, 0o600)
        d = tmp / "link_secret"
        d.mkdir()
        (d / "ps1_corr2d.py").symlink_to(secret)
        cases["folder: link to a root-only file"] = d
        d = tmp / "link_zero"
        d.mkdir()
        (d / "ps1_corr2d.ipynb").symlink_to("/dev/zero")
        cases["folder: link to /dev/zero"] = d
        fifo = tmp / "fifo.py"
        os.mkfifo(fifo)
        cases["a FIFO as the submission"] = fifo
        for what, path in cases.items():
            sub, dt = timed(load_submission, path, "ps1_corr2d")
            print(f"  {what:40} {dt * 1000:8.1f} ms  {sub.fatal[:60]!r}")
        batch = tmp / "batch"
        for s in ("ana", "beto"):
            (batch / s).mkdir(parents=True)
            shutil.copy(src_nb, batch / s / "ps1_corr2d.ipynb")
        (batch / "ana" / "a").symlink_to(".")
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "autograder", "grade", "-a", "ps1_corr2d", "--jobs", "2",
                            "--out", str(tmp / "out"), str(batch)], capture_output=True, text=True, cwd=ROOT)
        print(f"  {'batch of 2, a -> . in one folder':40} {time.perf_counter() - t:8.1f} s   exit {r.returncode}")

        print("== loading a .py of many `# %%` blocks (trusted side)")
        for n in (1000, 3000):
            text = "".join(f"# %%\nv{i} = {i}\n" for i in range(n))
            (tmp / "m.py").write_text(text)
            _, old = timed(_padding_loader, text)
            _, new = timed(load_submission, tmp / "m.py")
            print(f"  {n:6} blocks ({len(text) >> 10} KB): padding loader {old:7.2f} s, now {new:6.3f} s, "
                  f"ratio {old / new:6.0f}x")
        text = "".join(f"# %%\nv{i} = {i}\n" for i in range(100_000))
        (tmp / "m.py").write_text(text)
        _, new = timed(load_submission, tmp / "m.py")
        print(f"  100000 blocks ({len(text) >> 10} KB): now {new:.2f} s (padding loader: not run, quadratic)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stall_source(assignment, load_seconds=110.0):
    """The lane-holding cheat of issue 8 for an assignment: a load that takes just under the
    plugin's load limit (120 s) in statements just under the loader's 2 s each, and every
    graded object (function or class) hanging when called."""
    from autograder.grading.scoring import POINTS
    lines = ["import time", "", "def _almost_too_slow():", "    time.sleep(1.8)", "    return 0", ""]
    lines += [f"STEP_{i} = _almost_too_slow()" for i in range(int(load_seconds / 1.8))]
    for name in POINTS[assignment]:
        if name[:1].isupper():
            lines += ["", f"class {name}:", "    def __init__(self, *args, **kwargs):", "        time.sleep(3600)"]
        else:
            lines += ["", f"def {name}(*args, **kwargs):", "    time.sleep(3600)"]
    return "\n".join(lines) + "\n"


def stall(assignments):
    print("== stall cheat (every load ~110 s, just under the limit; every call hangs), default budget")
    tmp = Path(tempfile.mkdtemp(prefix="budget-bench-"))
    try:
        for a in assignments:
            path = tmp / f"{a}.py"
            path.write_text(stall_source(a))
            res, wall = grade(path, a, skip_training=False)
            out = sum("tiempo agotado" in t["output"] for t in res["tests"])
            print(f"  {a:14} wall {wall:6.1f} s, student {res['extra_data'].get('student_seconds')} s "
                  f"of {budget.default_seconds(a):g} s, {out}/{len(res['tests'])} tests 'tiempo agotado'")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--assignments", nargs="*", default=list(budget.DEFAULT_SECONDS))
    p.add_argument("--cheats", action="store_true")
    p.add_argument("--stall", nargs="*", default=None, metavar="ID",
                   help="grade the stall cheat for these assignments (default ps1_corr2d ps5_lenet)")
    p.add_argument("--no-reference", action="store_true")
    args = p.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    if not args.no_reference:
        reference(args.assignments)
    if args.cheats:
        cheats()
    if args.stall is not None:
        stall(args.stall or ["ps1_corr2d", "ps5_lenet"])


if __name__ == "__main__":
    main()
