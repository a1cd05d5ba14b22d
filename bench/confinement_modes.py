"""What each confinement mode costs per submission, measured in one run (ratio to root's mode).

    python bench/confinement_modes.py --user agtest [--n 10] [--rounds 2]

Run as root. `--user` is an ordinary account with its own checkout and venv in ~/repo (what
tests/sandbox/test_ordinary_user.py builds: `make setup PYTHON=/usr/bin/python3` as that user). The same
N ps1 submissions (copies of the reference solution) are graded with `autograder grade --jobs 2`:
as root (bwrap-root: workers forked from a preloaded zygote), as the ordinary user (bwrap-userns:
a fresh sandbox per worker), as the ordinary user with bwrap standing in as /bin/false (Landlock:
a plain process that restricts itself) and with --unconfined (a plain subprocess). Each
mode's wall time per submission and its ratio to root's are printed per round; record the figures
in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd, env=None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (it grades as root and as --user)")
    account = pwd.getpwnam(args.user)
    home = Path(account.pw_dir)
    user_cli = home / "repo" / ".venv" / "bin" / "autograder"
    if not user_cli.exists():
        sys.exit(f"{user_cli} missing: build the user's venv first (see the docstring)")
    work = Path(tempfile.mkdtemp(prefix="bench-modes-", dir="/tmp"))
    subs = work / "subs"
    subs.mkdir()
    for i in range(args.n):
        shutil.copy(ROOT / "reference" / "ps1_corr2d.py", subs / f"alumno{i:03d}.py")
    subprocess.run(["chown", "-R", f"{args.user}:{args.user}", str(work)], check=True)
    root_cli = str(Path(sys.executable).parent / "autograder")
    user_env = ["runuser", "-u", args.user, "--", "env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin",
                "LANG=C.UTF-8"]
    modes = {
        "bwrap-root (root)": lambda out: timed([root_cli, "grade", "-a", "ps1_corr2d", "--out", out,
                                               "--force", "--no-report", "--jobs", "2", str(subs)]),
        "bwrap-userns (user)": lambda out: timed(user_env + [str(user_cli), "grade", "-a", "ps1_corr2d",
                                                             "--out", out, "--force", "--no-report",
                                                             "--jobs", "2", str(subs)]),
        "landlock (user)": lambda out: timed(user_env + ["AUTOGRADER_BWRAP=/bin/false", str(user_cli), "grade",
                                                         "-a", "ps1_corr2d", "--out", out, "--force",
                                                         "--no-report", "--jobs", "2", str(subs)]),
        "unconfined (user)": lambda out: timed(user_env + [str(user_cli), "grade", "-a", "ps1_corr2d",
                                                           "--out", out, "--force", "--no-report",
                                                           "--jobs", "2", "--unconfined", str(subs)]),
    }
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {args.n} ps1 submissions, --jobs 2")
    for r in range(1, args.rounds + 1):
        seconds = {}
        for name, run in modes.items():
            out = work / f"out-{r}-{name.split()[0]}"
            out.mkdir()
            subprocess.run(["chown", f"{args.user}:{args.user}", str(out)], check=True)
            seconds[name] = run(str(out)) / args.n
        base = seconds["bwrap-root (root)"]
        for name, s in seconds.items():
            print(f"round {r}  {name:<22} {s:6.2f} s per submission  {s / base:5.2f}x root")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
