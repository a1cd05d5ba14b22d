"""Mutation-check benchmark: prints ratios measured in this one run.

The same sample of mutants (every k-th mutant of each assignment) is graded three ways:
  engine   autograder.grading.engine.grade: pytest + the sandbox, one grade per mutant (the baseline)
  inproc   autograder/mutation/trusted_run.py: the suite's test functions in this process, every test
  fast     the same, the mutated object's tests first, stopping at the first failure (what
           autograder.mutation.mutants.kill_table does)
then the whole kill table of ps1-ps4 is timed on the fast path.

    PYTHONPATH=.:assignments .venv/bin/python bench/mutation_bench.py [--every 8]

Record the figures in docs/benchmarks.md ("Mutation check") with the machine and its load.
"""
import argparse
import os
import sys
import time

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from autograder.mutation import mutants as mutation  # noqa: E402
from autograder.mutation.trusted_run import one_thread, run_suite  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=8, help="grade every k-th mutant")
    args = parser.parse_args()
    sample = []
    for assignment in mutation.MUTABLE_ASSIGNMENTS:
        sample += mutation.generate(assignment)[::args.every]
    print(f"load average {os.getloadavg()[0]:.1f}; {len(sample)} mutants in the sample")
    totals = {"engine": 0.0, "inproc": 0.0, "fast": 0.0}
    for m in sample:
        totals["engine"] += timed(lambda: mutation._lost_points(m, engine=True))
        with one_thread():
            totals["inproc"] += timed(lambda: run_suite(m.source, m.assignment))
            totals["fast"] += timed(lambda: run_suite(m.source, m.assignment, first=m.function,
                                                      stop_at_failure=True))
    n = len(sample)
    for key, total in totals.items():
        print(f"{key:7s} {total / n:7.3f} s per mutant   x{totals['engine'] / total:6.1f} vs engine")
    count, t = 0, time.perf_counter()
    for assignment in mutation.MUTABLE_ASSIGNMENTS:
        count += len(mutation.kill_table(assignment)["mutants"])
    print(f"kill table ps1-ps4: {count} mutants graded and classified in "
          f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
