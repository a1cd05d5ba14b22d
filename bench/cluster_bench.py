"""Cluster benchmark: prints ratios measured in this one run, all on this machine.

The same batch of N ps1 submissions (copies of the bundled examples and corpus files, each
under its own name) is graded four ways, each into a fresh output folder:

    local lanes --jobs 1, local lanes --jobs 2    (autograder/grading/batch.py, today's local mode)
    Dask LocalCluster, 1 worker and 2 workers     (autograder/cluster/dask_batch.py, one thread each,
                                                   worker processes preloaded with the grader)

Figures: (a) cluster throughput 2 workers vs 1 worker (goal >= 1.8x with two free cores);
(b) per-submission overhead of the cluster path: (1 worker - local --jobs 1) / N (goal <= 0.2 s),
    also as time outside engine.grade (wall minus the sum of execution_time) in each mode;
(c) LocalCluster 2 workers vs local --jobs 2 (within 10%?).
Clusters are started before their clock starts (a real cluster is long-lived); the grading
processes' first sandbox zygote boot is inside every figure, as in a real batch.

    .venv/bin/python bench/cluster_bench.py [--n 40] [--assignment ps1_corr2d]

Needs the [cluster] extra. Record the figures in docs/benchmarks.md ("Cluster") with the
machine and its load.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.cluster import dask_batch as cluster  # noqa: E402
from autograder.grading import batch  # noqa: E402


def make_batch(tmp: Path, n: int) -> list[str]:
    sources = sorted((ROOT / "tests" / "corpus" / "mutants" / "ps1_corr2d").glob("*.py"))
    sources += sorted((ROOT / "tests" / "corpus" / "alternatives" / "ps1_corr2d").glob("*.py"))
    sources += [ROOT / "examples" / "ps1_corr2d" / "con_errores.py",
                ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb"]
    folder = tmp / "entregas"
    folder.mkdir()
    out = []
    for i in range(n):
        src = sources[i % len(sources)]
        dst = folder / f"alumno{i:03d}{src.suffix}"
        shutil.copyfile(src, dst)
        out.append(str(dst))
    return out


def timed(subs, out, assignment, grade):
    items = batch.discover_all(subs, assignment)
    plan = batch.plan(items, str(out), assignment, "es", force=True)
    t = time.perf_counter()
    grade(plan.todo)
    dt = time.perf_counter() - t
    bad = [j.name for j in plan.jobs if j.state != "graded"]
    if bad:
        sys.exit(f"not graded: {bad}")
    grading = sum(j.results["execution_time"] for j in plan.jobs)  # engine.grade's own time
    return dt, grading, {j.name: j.results["score"] for j in plan.jobs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--assignment", default="ps1_corr2d")
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    try:
        subs = make_batch(tmp, args.n)
        print(f"{args.n} submissions of {args.assignment}; load average at start: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        batch.preload(args.assignment)  # what the local CLI does before forking its lanes
        times, grading, scores = {}, {}, {}
        for lanes in (1, 2):
            label = f"local --jobs {lanes}"
            times[label], grading[label], scores[label] = timed(
                subs, tmp / f"local{lanes}", args.assignment,
                lambda todo, lanes=lanes: batch.run(todo, args.assignment, "es", "cpu", lanes))
            print(f"{label:24s} {times[label]:7.1f} s  ({times[label] / args.n:.2f} s each; "
                  f"engine.grade {grading[label] / args.n:.2f} s each)", flush=True)
        for workers in (1, 2):
            label = f"LocalCluster {workers} worker" + ("s" if workers > 1 else "")
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0", preload=["autograder.cluster.dask_batch"]) as lc, \
                    Client(lc, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=180)
                times[label], grading[label], scores[label] = timed(
                    subs, tmp / f"cluster{workers}", args.assignment,
                    lambda todo: cluster.run(todo, args.assignment, "es", "cpu", client))
            print(f"{label:24s} {times[label]:7.1f} s  ({times[label] / args.n:.2f} s each; "
                  f"engine.grade {grading[label] / args.n:.2f} s each)", flush=True)
        first = scores["local --jobs 1"]
        assert all(s == first for s in scores.values()), "scores differ between modes"
        l1, l2 = times["local --jobs 1"], times["local --jobs 2"]
        c1, c2 = times["LocalCluster 1 worker"], times["LocalCluster 2 workers"]
        print(f"(a) cluster throughput 2 vs 1 worker: {c1 / c2:.2f}x (goal >= 1.8x); "
              f"local lanes 2 vs 1: {l1 / l2:.2f}x")
        print(f"(b) cluster overhead per submission: {(c1 - l1) / args.n:+.3f} s wall (goal <= 0.2 s); "
              "outside engine.grade: "
              f"{(c1 - grading['LocalCluster 1 worker'] - (l1 - grading['local --jobs 1'])) / args.n:+.3f} s "
              "(wall minus the engine's own time, each mode; less sensitive to the machine's load)")
        print(f"(c) LocalCluster 2 workers / local --jobs 2: {c2 / l2:.3f} "
              f"({'within' if abs(c2 / l2 - 1) <= 0.10 else 'outside'} 10%)")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
