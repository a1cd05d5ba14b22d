"""`python -m autograder.cli.training_cache warm [--device auto|cpu|cuda]`: train the reference
LeNets into the training cache (a Gradescope image, a course machine)."""
from __future__ import annotations

import sys

from autograder.training.check import warm_cache


def main(argv=None) -> int:
    """`python -m autograder.cli.training_cache warm [--device auto|cpu|cuda]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.cli.training_cache")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("warm", help="train the reference LeNets into the training cache")
    w.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args(argv)
    results = warm_cache(args.device)
    for result in results:
        print(result.message("en"))
    return 0 if all(r.ok for r in results) else 1   # the reference below its bar: look into it


if __name__ == "__main__":
    sys.exit(main())
