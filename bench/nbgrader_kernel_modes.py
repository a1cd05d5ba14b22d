"""What each confinement mode of the nbgrader kernel costs per notebook, measured in one run
(ratio to root's mode).

    python bench/nbgrader_kernel_modes.py --user agtest [--n 4]

Run as root. `--user` is an ordinary account with its own checkout and venv in ~/repo (what
tests/sandbox/test_ordinary_user.py builds). One course (ps1_corr2d released with nbgrader) holds N
submissions (the release with the solutions filled in); `nbgrader autograde ps1_corr2d` grades
all of them: as root (bwrap-root: kernels forked from a preloaded zygote, a uid each), as the
ordinary user (bwrap-userns: a sandbox per kernel) and as the ordinary user with bwrap standing in
as /bin/false (landlock). Each run starts from a fresh copy of the course (no cached grading), so
a notebook's time includes the trusted grading and its kernel. Prints wall time per notebook and
the ratio to root's; record the figures in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True)
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (it autogrades as root and as --user)")
    from nbgrader_course import grade_id, released_course
    account = pwd.getpwnam(args.user)
    home = Path(account.pw_dir)
    user_bin = home / "repo" / ".venv" / "bin"
    if not (user_bin / "nbgrader").exists():
        sys.exit(f"{user_bin / 'nbgrader'} missing: build the user's venv first (see the docstring)")
    work = Path(tempfile.mkdtemp(prefix="bench-kernels-", dir="/var/tmp"))
    os.chmod(work, 0o755)
    course, env, release, solutions = released_course(work / "template", "ps1_corr2d")
    solved = json.loads(json.dumps(release))
    for cell in solved["cells"]:
        if grade_id(cell) in solutions:
            cell["source"] = solutions[grade_id(cell)]
    for i in range(args.n):
        folder = course / "submitted" / f"alumno{i:02d}" / "ps1_corr2d"
        folder.mkdir(parents=True)
        (folder / "ps1_corr2d.ipynb").write_text(json.dumps(solved), encoding="utf-8")
        (folder / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")

    def fresh(name, owner):
        dst = work / name
        shutil.copytree(work / "template", dst, symlinks=True)
        subprocess.run(["chown", "-R", f"{owner}:{owner}", str(dst)], check=True)
        return dst / "assignments"

    def run(name, owner, cmd_prefix, extra_env):
        target = fresh(name, owner)
        run_env = {"HOME": str(home) if owner != "root" else os.environ.get("HOME", "/root"),
                   "PATH": f"{user_bin if owner != 'root' else Path(sys.executable).parent}:/usr/bin:/bin",
                   "LANG": "C.UTF-8", "AUTOGRADER_DEVICE": "cpu", "TMPDIR": str(target.parent / "tmp"),
                   "AUTOGRADER_WARM_SECONDS": "0",
                   **extra_env}
        cmd = cmd_prefix + ["env", "-i", *[f"{k}={v}" for k, v in run_env.items()],
                            "nbgrader", "autograde", "ps1_corr2d"]
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=str(target), capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{name}: nbgrader autograde failed:\n{done.stderr[-3000:]}")
        confined = [line.split("confined: ", 1)[1] for line in done.stderr.splitlines() if "confined: " in line]
        return seconds / args.n, (confined or ["?"])[0]

    as_user = ["runuser", "-u", args.user, "--"]
    modes = [("root", "root", [], {}), ("user", args.user, as_user, {}),
             ("user-landlock", args.user, as_user, {"AUTOGRADER_BWRAP": "/bin/false"})]
    print(f"{args.n} ps1 notebooks per run, nbgrader autograde, wall time per notebook "
          f"(load average {os.getloadavg()[0]:.1f})")
    base = None
    for name, owner, prefix, extra in modes:
        per, label = run(name, owner, prefix, extra)
        base = base or per
        print(f"  {label:14s} ({name:13s}) {per:6.2f} s/notebook   {per / base:5.2f}x root")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
