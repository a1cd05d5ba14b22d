"""Grade many submissions: discover them, plan (names, resume), run (in parallel), collect.

Speed: importing torch and pytest dominates a grader's start-up. The parent process imports
them (and the assignment's suite) once, then forks --jobs grading "lanes" (start method
"fork", torch limited to one thread) that live for the whole batch, so each lane's sandbox
zygote imports torch once for all the submissions it grades. A lane grades one submission at a
time with ``engine.grade`` and writes its result folder itself, atomically; the parent hands
out submissions and watches the answers. A lane that dies (killed, out of memory, a bug in the
grader) loses nothing but the submission it was grading, which gets a result flagged
``grader_error`` (regraded by the next run), and is replaced. Where "fork" is unavailable, submissions are
graded one after another in this process.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field

from autograder import locations
from autograder.intake import safefiles

from . import result_files
from . import results as store

SUBMISSION_EXTS = (".ipynb", ".py")
# never student work: the course kit shipped in the released folder, caches, checkpoints
_IGNORED_DIRS = {"cursocnn", "__pycache__", ".ipynb_checkpoints", ".git", "data", "datos"}


# ---------------------------------------------------------------- discovery

def _listing(folder):
    """(files, dirs) at the top of folder, never through a link: a link or a special file
    (FIFO, device, socket) with a .ipynb/.py name is listed with the files, so its student gets
    a result whose note explains the refusal (load_submission reads nothing through it); other
    links (a linked folder, `a -> .`) are skipped. No entry is followed or opened here."""
    files, dirs = [], []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return files, dirs
    for e in entries:
        if e.name.startswith((".", "__")):
            continue
        try:
            kind = safefiles.kind_of(e.stat(follow_symlinks=False).st_mode)
        except OSError:
            continue
        if kind == "directory":
            if e.name in _IGNORED_DIRS or safefiles.lkind(os.path.join(e.path, "__init__.py")) != "missing":
                continue
            dirs.append(e.path)
        elif e.name.endswith(SUBMISSION_EXTS):
            files.append(e.path)
    return files, dirs


def discover(path, assignment) -> list[tuple[str, str]]:
    """[(submission path, name hint)] found under a SUBMISSION argument.

    - a file is one submission (hint: its stem);
    - a folder holding <assignment>.ipynb/.py, or exactly one .ipynb/.py file at its top
      level, or nothing gradable at all, is one submission (hint: the folder's name);
    - any other folder is a batch: each .ipynb/.py file at its top level is a submission, and
      each sub-folder is discovered in turn (a sub-folder that is one submission is named after
      itself, e.g. nbgrader's submitted/<student>/<assignment>/ gives <student>).
    Hidden entries, __pycache__, checkpoints, the cursocnn kit and Python packages are skipped.
    Entries below path are never followed through a link (see _listing); path itself is taken
    as it is (discover_all resolves the paths the instructor typed).
    """
    path = os.path.abspath(path)
    if safefiles.lkind(path) != "directory":
        return [(path, os.path.splitext(os.path.basename(path))[0])]
    files, dirs = _listing(path)
    name = os.path.basename(path.rstrip(os.sep)) or "entrega"
    if any(os.path.splitext(os.path.basename(f))[0] == assignment for f in files) or len(files) == 1:
        return [(path, name)]
    found = [(f, os.path.splitext(os.path.basename(f))[0]) for f in files]
    for d in dirs:
        sub = discover(d, assignment)
        if len(sub) == 1:
            sub = [(sub[0][0], os.path.basename(d))]
        found.extend(sub)
    return found or [(path, name)]


def discover_all(paths, assignment) -> list[tuple[str, str]]:
    """discover() over every argument; a path given (or found) twice is graded once."""
    seen, out = set(), []
    for p in paths:
        # a path the instructor typed may go through links (resolved here, once); nothing
        # found below it is ever followed
        given = os.path.abspath(p)
        items = discover(os.path.realpath(given), assignment)
        if len(items) == 1:  # the argument itself is one submission: named after the argument
            stem = os.path.basename(given.rstrip(os.sep))
            items = [(items[0][0], stem if os.path.isdir(given) else os.path.splitext(stem)[0])]
        for src, hint in items:
            if src not in seen:
                seen.add(src)
                out.append((src, hint))
    return out


# ---------------------------------------------------------------- plan

@dataclass
class Job:
    source: str                 # absolute path handed to the engine
    name: str                   # result folder name under the output folder
    folder: str                 # out_dir/name
    digest: str                 # sha256 of the content when planned
    results: dict | None = None  # its results.json (SubmissionResult.from_gradescope reads it)
    state: str = "pending"      # graded | resumed | grader_error
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Plan:
    jobs: list = field(default_factory=list)

    @property
    def todo(self):
        return [j for j in self.jobs if j.state == "pending"]


def plan(items, out_dir, assignment, lang, force=False) -> Plan:
    """Assign result folders and load complete results to skip (unless force)."""
    names = result_files.assign_names(items, out_dir)
    p = Plan()
    for (src, _hint), name in zip(items, names):
        folder = os.path.join(out_dir, name)
        job = Job(source=src, name=name, folder=folder, digest=result_files.source_hash(src))
        if not force:
            done = result_files.load_complete(folder, src, assignment, lang, job.digest)
            if done is not None:
                job.results, job.state = done, "resumed"
        p.jobs.append(job)
    return p


# ---------------------------------------------------------------- run

def preload(assignment) -> None:
    """Import what every grading child needs, once, in the parent (before any fork)."""
    for mod in ("torch", "torch.nn", "torch.nn.functional", "pytest",
                "autograder.grading.engine", "autograder.intake.submission", "autograder.sandbox",
                "autograder.text.feedback", "autograder.suites.plugin"):
        try:
            importlib.import_module(mod)
        except Exception:  # noqa: BLE001 - the child reports real problems
            pass
    from . import engine
    if os.path.abspath(engine.SUITES_DIR) == os.path.abspath(locations.SUITES):
        for f in engine.suite_files(assignment):
            try:
                module = os.path.splitext(os.path.basename(f))[0]
                importlib.import_module(f"autograder.suites.{assignment}.{module}")
            except Exception:  # noqa: BLE001
                pass


def _grade_and_store(job, assignment, lang, device, budget=None):
    from . import engine
    res = engine.grade_result(job.source, assignment, lang=lang, device=device, budget=budget)
    result_files.store(job.folder, job.source, assignment, lang, res, job.digest)
    return res


def _lane_main(conn, jobs, assignment, lang, device, budget=None):
    """Body of a forked grading lane: grades the jobs whose indices arrive on conn, one at a
    time, answering each with its exit code (0 stored, 3 stored as grader error). A lane lives
    for the whole batch so its sandbox zygote (torch imported once) serves every submission."""
    if sys.platform.startswith("linux"):
        try:  # die with the parent (a killed batch leaves no grader running)
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import torch
        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001
        pass
    while True:
        try:
            index = conn.recv()
        except EOFError:
            break
        if index is None:
            break
        code = 1
        try:
            res = _grade_and_store(jobs[index], assignment, lang, device, budget)
            code = 3 if store.is_grader_error(res) else 0
        except BaseException:  # noqa: BLE001
            import traceback
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        conn.send(code)
    os._exit(0)


def _finish(job, assignment, lang, exitcode, started):
    job.seconds = time.perf_counter() - started
    stored = result_files.read_json(os.path.join(job.folder, result_files.RESULTS))
    meta = result_files.read_json(os.path.join(job.folder, result_files.META)) or {}
    if exitcode in (0, 3) and meta.get("status") in (result_files.STATUS_COMPLETE, result_files.STATUS_GRADER_ERROR) \
            and not store.validate(stored):
        job.results = stored
        job.state = "grader_error" if store.is_grader_error(stored) else "graded"
        return
    from . import engine
    why = f"grading process ended with exit code {exitcode}" if exitcode is not None else "no result"
    engine.log(job.source, why)
    result = engine.internal_error(assignment, lang, job.seconds)
    job.results = result.to_gradescope()
    job.state, job.detail = "grader_error", why
    try:
        result_files.store(job.folder, job.source, assignment, lang, result, job.digest)
    except OSError as exc:
        engine.log(job.source, f"cannot write {job.folder}: {exc}")


def _can_fork():
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods()


def run(jobs, assignment, lang, device, n_jobs=1, progress=None, on_done=None, budget=None):
    """Grade jobs (state "pending"), at most n_jobs at a time; fills each job's results/state.
    progress: a callable(job) called as each one finishes. budget: seconds of student time
    per submission (None: the assignment's default)."""
    if not jobs:
        return jobs
    for job in jobs:
        result_files.claim(job.folder, job.source, assignment, lang, job.digest)
    if not _can_fork():
        for job in jobs:
            started = time.perf_counter()
            try:
                _grade_and_store(job, assignment, lang, device, budget)
                _finish(job, assignment, lang, 0, started)
            except Exception:  # noqa: BLE001
                _finish(job, assignment, lang, None, started)
            if progress:
                progress(job)
        return jobs

    import multiprocessing
    from multiprocessing.connection import wait
    ctx = multiprocessing.get_context("fork")
    preload(assignment)
    pending = list(range(len(jobs)))
    lanes = {}  # parent end of the pipe -> [process, job index or None, start time]

    def start_lane():
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=_lane_main, args=(child_end, jobs, assignment, lang, device, budget),
                           name="autograder:lane", daemon=False)
        proc.start()
        child_end.close()
        lanes[parent_end] = [proc, None, 0.0]

    def finish(index, exitcode, started):
        _finish(jobs[index], assignment, lang, exitcode, started)
        if progress:
            progress(jobs[index])

    try:
        for _ in range(min(max(1, n_jobs), len(jobs))):
            start_lane()
        while pending or any(lane[1] is not None for lane in lanes.values()):
            for conn, lane in list(lanes.items()):
                if lane[1] is None and pending:
                    index = pending.pop(0)
                    try:
                        conn.send(index)
                    except (OSError, ValueError):  # the lane died while idle: replace it
                        pending.insert(0, index)
                        lane[0].join()
                        del lanes[conn]
                        start_lane()
                        continue
                    lane[1], lane[2] = index, time.perf_counter()
            busy = {conn: lane for conn, lane in lanes.items() if lane[1] is not None}
            waitables = list(busy) + [lane[0].sentinel for lane in busy.values()]
            for ready in wait(waitables):
                conn = ready if ready in busy else next(
                    (c for c, lane in busy.items() if lane[0].sentinel == ready), None)
                if conn is None or conn not in lanes or lanes[conn][1] is None:
                    continue
                proc, index, started = lanes[conn]
                try:
                    code = conn.recv()
                except (EOFError, OSError):  # the lane died grading this one: only it is lost
                    proc.join()
                    code = proc.exitcode
                    del lanes[conn]
                    conn.close()
                    if pending:
                        start_lane()
                lanes.get(conn, [None, None])[1] = None
                finish(index, code, started)
    finally:
        for conn, (proc, _index, _t) in lanes.items():
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            proc.join(5)
            if proc.is_alive():  # interrupted: stop the lanes still grading
                proc.kill()
                proc.join(5)
    return jobs
