"""Per-submission cost of `autograder grade` against plain nbgrader, on the same notebooks.

Builds, in a temporary folder:
- the real nbgrader release of the assignment (`nbgrader generate_assignment` on a copy of
  assignments/), and N submissions: that release notebook with every solution cell filled with
  the reference solution (the source notebook's cell, markers removed), each in
  submitted/<student>/<assignment>/ next to the kit the release ships;
- a plain nbgrader course made from the same source notebook, where the hidden part of each
  grade cell is replaced by plain asserts: the visible test cells of the same object
  (visible_<name>...), and nbgrader's own autograde preprocessors (no autograder hook).

Each submission carries its student id in the notebook's metadata, so that no two are the same
bytes (the snapshot grading caches by content).

Then times, on those N notebooks: `autograder grade --jobs 1`, `--jobs 2`, plain
`nbgrader autograde` (in commands of --chunk students), and the two autograder runs again (the
autograder figures are the mean of the runs before and after nbgrader, which takes ~14 s per
notebook: interleaved so that a change in the machine's load shows). CPU time is the command's
whole process tree, sandboxes included (a cpuacct cgroup when root can make one; else the
children's rusage, which misses the sandboxes reparented at exit, and says so). Every score is checked to be full marks.

    python bench/nbgrader_vs_grade.py [--n 100] [--chunk 25] [--assignment ps1_corr2d] [--skip-nbgrader]
                                      [--ours] [--rounds R]

With --chunk 1 each command grades one notebook, as one click of formgrader's Autograde button:
the first command of "nbgrader-ours" starts the course's warm grading service
(autograder/nbgrader/warm.py, kept between commands; it runs inside the measured cgroup, so its
CPU is counted), the later ones use it; the per-chunk lines show the first click and the others.

--ours also runs `nbgrader autograde` on OUR course (the real release and assignments/
nbgrader_config.py: snapshot + trusted grading, confined kernel, trusted grade cells; needs root
and bubblewrap) over the same notebooks, right after plain nbgrader, and prints the ratio
ours / plain per submission (goal, issue 10: CPU <= 1x plain nbgrader's); then once more
("ours-cached": every snapshot's grading is found in the cache, so the difference is the
trusted grading's cost).

Goal (issue 14): `--jobs 1` wall time per submission <= 0.1x plain nbgrader's. Record the
figures (machine, load, N, ratios) in docs/benchmarks.md. Plain nbgrader on 100 ps1 notebooks
takes ~25 min on 2 cores: develop with --n 10.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CGROUP = Path("/sys/fs/cgroup/cpuacct")


# ---------------------------------------------------------------- measuring

class Meter:
    """Wall and CPU seconds of one command's whole process tree."""

    def __init__(self):
        self.cgroup = None
        if os.geteuid() == 0 and (CGROUP / "cgroup.procs").exists():
            path = CGROUP / f"agbench-{os.getpid()}"
            try:
                path.mkdir(exist_ok=True)
                self.cgroup = path
            except OSError:
                pass
        self.how = "cpuacct cgroup" if self.cgroup else "rusage of waited children (misses reparented sandboxes)"

    def _cpu(self):
        if self.cgroup:
            return int((self.cgroup / "cpuacct.usage").read_text()) / 1e9
        r = os.times()
        return r.children_user + r.children_system

    def run(self, cmd, **kw):
        procs = str(self.cgroup / "cgroup.procs") if self.cgroup else None

        def enter():
            if procs:
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))

        cpu0, t0 = self._cpu(), time.perf_counter()
        r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, preexec_fn=enter, **kw)
        wall = time.perf_counter() - t0
        time.sleep(0.2)  # let the last processes of the tree leave the cgroup's accounts settle
        return wall, self._cpu() - cpu0, r

    def close(self):
        if self.cgroup:
            for _ in range(50):
                try:
                    self.cgroup.rmdir()
                    return
                except OSError:  # a process of the tree still exiting
                    time.sleep(0.1)


def check(r, what):
    if r.returncode != 0:
        sys.exit(f"{what} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")


# ---------------------------------------------------------------- the courses

def make_course(dest):
    shutil.copytree(ROOT / "assignments", dest, symlinks=False,
                    ignore=shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded",
                                                  "feedback", "__pycache__"))
    cfg = dest / "nbgrader_config.py"
    cfg.write_text(re.sub(r"^HERE = .*$", f"HERE = {str(dest)!r}", cfg.read_text(), flags=re.M))
    return dest


def generate(course, assignment, env):
    r = subprocess.run([BIN / "nbgrader", "generate_assignment", assignment, "--force"], cwd=course, env=env,
                       capture_output=True, text=True)
    check(r, f"nbgrader generate_assignment in {course}")


def _meta(cell):
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def filled_notebook(release_nb, source_nb):
    """The release notebook with each solution cell's source taken from the source notebook
    (the reference solution), BEGIN/END SOLUTION marker lines removed."""
    nb = json.loads(release_nb.read_text())
    solutions = {_meta(c).get("grade_id"): _src(c) for c in json.loads(source_nb.read_text())["cells"]
                 if _meta(c).get("solution")}
    filled = 0
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in solutions:
            lines = [ln for ln in solutions[gid].splitlines(keepends=True)
                     if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
            cell["source"] = "".join(lines)
            filled += 1
    if not filled:
        sys.exit("no solution cell filled: the release and the source notebook do not match")
    return nb


def assert_only_source(source_nb):
    """The source notebook with every grade cell's hidden part replaced by the asserts of the
    visible test cells of the same object (test_<name> <- visible_<name>[_k])."""
    nb = json.loads(source_nb.read_text())
    visible = {}
    for cell in nb["cells"]:
        m = re.fullmatch(r"visible_(.+?)(?:_\d+)?", str(_meta(cell).get("grade_id", "")))
        if m:
            visible.setdefault(m.group(1), []).append(_src(cell))
    graded = 0
    for cell in nb["cells"]:
        meta = _meta(cell)
        if meta.get("grade") and cell.get("cell_type") == "code":
            name = re.sub(r"^test_", "", str(meta.get("grade_id", "")))
            if name not in visible:
                sys.exit(f"grade cell {meta.get('grade_id')}: no visible_{name} cell to take asserts from")
            body = "\n".join(visible[name])
            cell["source"] = f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS\n"
            graded += 1
    if not graded:
        sys.exit("the source notebook has no grade cells")
    return nb


# The course's settings that plain nbgrader also needs (assignments/nbgrader_config.py without
# anything of the autograder: no registry, no preprocessors of ours).
PLAIN_CONFIG = """import os
c = get_config()
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "cnn-plain"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "gradebook.db"]
c.GenerateAssignment.create_assignment = True
c.ClearSolutions.code_stub = {"python": "# TU CÓDIGO AQUÍ\\nraise NotImplementedError()"}
c.Execute.timeout = 3600
os.environ.setdefault("CNN_QUICK", "1")
"""


def student(i, chunk):
    """Student ids share a prefix per chunk, so one nbgrader command can take a chunk (--student glob)."""
    return f"c{i // chunk:02d}alumno{i:03d}"


def build(tmp, assignment, n, chunk, ours=False):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT))
    real = make_course(tmp / "real")
    generate(real, assignment, env)
    release = real / "release" / assignment
    nb = filled_notebook(release / f"{assignment}.ipynb", real / "source" / assignment / f"{assignment}.ipynb")

    plain = make_course(tmp / "plain")
    (plain / "nbgrader_config.py").write_text(PLAIN_CONFIG)
    src = plain / "source" / assignment / f"{assignment}.ipynb"
    src.write_text(json.dumps(assert_only_source(src), ensure_ascii=False, indent=1))
    plain_env = dict(env, PYTHONPATH="")  # nothing of the autograder reaches plain nbgrader
    generate(plain, assignment, plain_env)

    subs = plain / "submitted"
    for i in range(n):
        sid = student(i, chunk)
        d = subs / sid / assignment
        shutil.copytree(release, d)
        nb.setdefault("metadata", {})["bench_student"] = sid
        (d / f"{assignment}.ipynb").write_text(json.dumps(nb, ensure_ascii=False, indent=1))
    if ours:
        shutil.copytree(subs, real / "submitted")
    return plain, plain_env, subs, real, dict(env, AUTOGRADER_DEVICE="cpu")


# ---------------------------------------------------------------- scores

def nbgrader_scores(plain, assignment):
    db = sqlite3.connect(str(plain / "gradebook.db"))
    try:
        rows = db.execute(
            "SELECT student.id, SUM(COALESCE(grade.manual_score, grade.auto_score, 0)), "
            "SUM(grade_cells.max_score) FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id "
            "JOIN grade_cells ON grade.cell_id = grade_cells.id "
            "JOIN assignment ON submitted_assignment.assignment_id = assignment.id "
            "WHERE assignment.name = ? GROUP BY student.id", (assignment,)).fetchall()
    except sqlite3.Error as exc:
        return f"(gradebook not readable: {exc})"
    finally:
        db.close()
    full = sum(1 for _, s, m in rows if s == m)
    return f"{full}/{len(rows)} full marks ({rows[0][1]:g}/{rows[0][2]:g} each)" if rows else "no grades"


def autograder_scores(out):
    scores = []
    for res in sorted(Path(out).glob("*/results.json")):
        r = json.loads(res.read_text())
        scores.append((r["score"], r["max_score"]))
    full = sum(1 for s, m in scores if s == m)
    return f"{full}/{len(scores)} full marks ({scores[0][0]:g}/{scores[0][1]:g} each)" if scores else "no results"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assignment", default="ps1_corr2d")
    ap.add_argument("--n", type=int, default=100, help="submissions (default %(default)s)")
    ap.add_argument("--chunk", type=int, default=25,
                    help="students per nbgrader command (progress and partial figures on a long run; "
                         "each command adds nbgrader's start-up, ~1%% at 25); default %(default)s")
    ap.add_argument("--skip-nbgrader", action="store_true", help="only the autograder runs")
    ap.add_argument("--ours", action="store_true",
                    help="also `nbgrader autograde` on our course (confined kernel + snapshot grading)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the nbgrader commands this many times, interleaved (plain, ours, ours-cached, "
                         "plain, ...): the ratio is printed per round, so the machine's noise shows")
    args = ap.parse_args()
    a, n = args.assignment, args.n
    meter = Meter()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {a}, N={n}; "
          f"CPU time from the {meter.how}", flush=True)
    figures = {}

    def record(key, wall, cpu, detail):
        figures.setdefault(key, []).append((wall, cpu))
        print(f"  {key:14s} {wall:8.1f} s wall {cpu:8.1f} s CPU  ({wall / n:.3f} s, {cpu / n:.3f} s CPU per "
              f"submission; load {os.getloadavg()[0]:.2f}) {detail}", flush=True)

    def autograder(jobs, out):
        wall, cpu, r = meter.run([sys.executable, "-m", "autograder", "grade", "--assignment", a, "--out", out,
                                  "--jobs", jobs, "--force", subs], cwd=ROOT, env=ag_env)
        check(r, f"autograder grade --jobs {jobs}")
        record(f"autograder -j{jobs}", wall, cpu, autograder_scores(out))

    try:
        with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
            tmp = Path(tmp)
            t = time.perf_counter()
            plain, plain_env, subs, real, real_env = build(tmp, a, n, args.chunk, args.ours)
            print(f"built the courses and {n} filled notebooks in {time.perf_counter() - t:.0f} s", flush=True)
            ag_env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "assignments")]))
            autograder(1, tmp / "out-j1")
            autograder(2, tmp / "out-j2")
            courses = [] if args.skip_nbgrader else [("nbgrader", plain, plain_env)]
            if args.ours and not args.skip_nbgrader:
                # the second run finds every snapshot's grading in the cache (same bytes): what
                # is left is the confined kernel and the trusted grade cells
                courses += [("nbgrader-ours", real, real_env), ("ours-cached", real, real_env)]
            for key, course, env in [c for _ in range(args.rounds) for c in courses]:
                if key == "nbgrader-ours":          # grade every snapshot again
                    shutil.rmtree(course / "autograded" / ".autograder" / "cache", ignore_errors=True)
                wall = cpu = 0.0
                for c in range((n + args.chunk - 1) // args.chunk):
                    w, u, r = meter.run([BIN / "nbgrader", "autograde", a, "--create", "--force",
                                         f"--student=c{c:02d}*"], cwd=course, env=env)
                    check(r, f"{key} autograde")
                    wall, cpu = wall + w, cpu + u
                    k = min(n, (c + 1) * args.chunk) - c * args.chunk
                    print(f"    {key} chunk {c}: {k} notebooks, {w / k:.2f} s wall, {u / k:.2f} s CPU each "
                          f"(load {os.getloadavg()[0]:.2f})", flush=True)
                record(key, wall, cpu, nbgrader_scores(course, a))
            autograder(1, tmp / "out-j1")
            autograder(2, tmp / "out-j2")
            if args.ours:   # the course's warm grading service (kept between commands) ends with the bench
                from autograder.nbgrader.warm_client import stop
                stop(real / "autograded" / ".autograder")
    finally:
        meter.close()

    def mean(key, i):
        vals = [f[i] for f in figures[key]]
        return sum(vals) / len(vals) / n

    print(f"\nper submission (N={n}, autograder: mean of {len(figures['autograder -j1'])} runs):")
    for key in figures:
        print(f"  {key:14s} {mean(key, 0):7.3f} s wall {mean(key, 1):7.3f} s CPU")
    if "nbgrader" in figures:
        nb_wall, nb_cpu = mean("nbgrader", 0), mean("nbgrader", 1)
        for jobs in (1, 2):
            key = f"autograder -j{jobs}"
            print(f"ratio {key} / plain nbgrader: wall {mean(key, 0) / nb_wall:.3f}x, "
                  f"CPU {mean(key, 1) / nb_cpu:.3f}x" + ("   (goal: wall <= 0.1x)" if jobs == 1 else ""))
        if "nbgrader-ours" in figures:
            print(f"ratio nbgrader-ours / plain nbgrader: wall {mean('nbgrader-ours', 0) / nb_wall:.3f}x, "
                  f"CPU {mean('nbgrader-ours', 1) / nb_cpu:.3f}x   (goal: CPU <= 1x)")
            print(f"ratio ours-cached (no trusted grading) / plain nbgrader: wall "
                  f"{mean('ours-cached', 0) / nb_wall:.3f}x, CPU {mean('ours-cached', 1) / nb_cpu:.3f}x")
            if args.rounds > 1:
                per_round = [o[1] / p[1] for o, p in zip(figures["nbgrader-ours"], figures["nbgrader"])]
                print("CPU ratio nbgrader-ours / plain per round: "
                      + ", ".join(f"{r:.3f}x" for r in per_round))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
