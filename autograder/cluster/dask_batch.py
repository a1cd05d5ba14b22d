"""Grade a batch on a Dask distributed cluster: ``autograder grade --scheduler ADDRESS``.

The client (this machine) plans the batch exactly as local mode does (names, resume, --force),
reads each submission with the trusted reader and sends its *content* (bytes and file name, not
a host path) as one Dask task. A worker writes the bytes into a private temporary folder and
grades them with ``engine.grade`` in the worker process itself, so the process's sandbox zygote
(torch imported once) stays warm across the tasks it runs. Results travel back to the client,
which alone writes ``OUT/<name>/results.json`` (atomically, with results.py), so resume, --force,
the table and the progress bar behave as in local mode.

Faults are Dask's: a task whose worker dies is run again on another worker; a task that was
running on ``allowed_failures + 1`` dying workers fails with ``KilledWorker`` and gets a
"grader could not finish" result (flagged grader_error, so the next run regrades it).

Training tasks (assignments with a ``*_training`` hidden suite, graded with --device cuda) ask
for the worker resource ``GPU`` and so run only on workers started with ``--resources GPU=1``.

dask/distributed are imported only here and only when a batch is sent (optional extra
``cluster``); the local path never imports them. Workers: ``dask worker ADDRESS --nthreads 1
--preload autograder.cluster`` (see docs/cluster.md).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

from autograder.grading import registry, result_files
from autograder.grading import results as store
from autograder.text.i18n import N_, tr

# Retries of a task whose worker died (distributed.scheduler.allowed-failures): a submission that
# kills every worker it lands on is stopped after ALLOWED_FAILURES + 1 attempts.
ALLOWED_FAILURES = 2
GPU_RESOURCE = "GPU"

COULD_NOT_FINISH = N_("El corrector no pudo terminar de calificar esta entrega: el proceso que la "
                      "calificaba se cerró {attempts} veces seguidas. Se volverá a intentar en la "
                      "próxima corrección; si persiste, avisa al equipo docente.")


# ---------------------------------------------------------------- what a task asks for

def trains(assignment: str) -> bool:
    """True when the assignment's declaration says its suite trains models (ps5's LeNets)."""
    try:
        return registry.get(assignment).trains
    except KeyError:
        return False


def task_resources(assignment: str, device: str) -> dict | None:
    """Worker resources a grading task needs: a GPU for training suites graded on cuda."""
    if device == "cuda" and trains(assignment):
        return {GPU_RESOURCE: 1}
    return None


# ---------------------------------------------------------------- client: read the content

class SchedulerUnreachable(Exception):
    """No Dask scheduler answered at the given address."""


class Unreadable(Exception):
    """The submission cannot travel as plain content (a link, a special file, too big)."""


def _read_regular(path: str, limit: int) -> bytes:
    """Bytes of a regular file, never through a link (autograder/intake/safefiles.py)."""
    from autograder.intake import safefiles
    try:
        return safefiles.read_regular(path, limit)
    except safefiles.Refused as exc:
        raise Unreadable(f"{path}: {exc}") from exc


def _safe_parts(rel: str) -> list[str] | None:
    parts = rel.split("/")
    if not parts or any(p in ("", ".", "..") or "\0" in p for p in parts):
        return None
    return parts


def make_payload(source: str, assignment: str) -> dict:
    """The content of one submission as it travels to a worker.

    A file: its bytes and base name (notes to the student name the file). A folder: the file
    the trusted reader chooses (its bytes and path inside the folder) and, as empty
    placeholders, the other gradable file names the reader saw, so the worker's reader makes the
    same choice and writes the same note. Raises Unreadable when the content cannot be sent."""
    from autograder.intake import safefiles, submission
    limit = submission.NOTEBOOK_MAX_BYTES  # a notebook's outputs are dropped where it is read
    if not os.path.isdir(source):
        return {"kind": "file", "name": os.path.basename(source), "data": _read_regular(source, limit)}
    sub = submission.load_submission(source, assignment)
    if sub.chosen is None:  # nothing gradable: the worker sees an empty folder and says so
        return {"kind": "folder", "chosen": None, "data": b"", "others": []}
    chosen = os.path.relpath(sub.chosen, source).replace(os.sep, "/")
    others = []
    try:
        entries = safefiles.walk(source, skip_dir=lambda d: d in submission.IGNORED_DIRS)
    except safefiles.Refused:
        entries = []
    for parts, kind in entries:
        rel = "/".join(parts)
        if kind == "file" and submission.is_candidate(parts[-1]) and rel != chosen:
            others.append(rel)
    return {"kind": "folder", "chosen": chosen, "data": _read_regular(sub.chosen, limit),
            "others": sorted(others)}


# ---------------------------------------------------------------- worker side

_grading = threading.Lock()  # one grading at a time per process (pytest and stdout are global)


def _write_new(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def materialize(payload: dict, folder: str) -> str:
    """Write a payload under folder (a fresh private temp dir); the path to grade."""
    if payload["kind"] == "file":
        name = payload.get("name") or "entrega.py"
        if _safe_parts(name) is None or "/" in name:
            name = "entrega" + (os.path.splitext(name)[1] if "/" not in name else ".py")
        path = os.path.join(folder, name)
        _write_new(path, payload["data"])
        return path
    root = os.path.join(folder, "entrega")
    os.mkdir(root, 0o700)
    files = [(payload.get("chosen"), payload["data"])] + [(o, b"") for o in payload.get("others") or []]
    for rel, data in files:
        parts = _safe_parts(rel) if rel else None
        if parts is None:
            continue
        os.makedirs(os.path.join(root, *parts[:-1]), mode=0o700, exist_ok=True)
        _write_new(os.path.join(root, *parts), data)
    return root


def _worker_address() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except Exception:  # noqa: BLE001 - called outside a worker (tests, local use)
        return ""


def grade_payload(payload: dict, assignment: str, lang: str, device: str,
                  budget: float | None = None) -> dict:
    """The task run on a worker: grade one submission's content in this process.
    Returns {"results": Gradescope dict, "worker": address, "pid": ..., "zygote": pid or None}."""
    from autograder.grading import engine
    with _grading:
        folder = tempfile.mkdtemp(prefix="autograder-sub-")
        try:
            path = materialize(payload, folder)
            res = engine.grade(path, assignment, lang=lang, device=device, budget=budget)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    zygote = None
    try:
        from autograder import sandbox
        z = getattr(sandbox, "_zygote", None)
        zygote = z.proc.pid if z is not None and getattr(z, "proc", None) is not None else None
    except Exception:  # noqa: BLE001
        pass
    return {"results": res, "worker": _worker_address(), "pid": os.getpid(), "zygote": zygote}


def dask_setup(worker=None) -> None:
    """`dask worker --preload autograder.cluster`: import torch, pytest and the suites once at
    start (as local lanes do) and keep torch to one thread per grading process."""
    from autograder.grading import batch
    from autograder.grading.scoring import ASSIGNMENTS
    try:
        import torch
        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001
        pass
    for assignment in ASSIGNMENTS:
        batch.preload(assignment)


# ---------------------------------------------------------------- client: run the batch

def could_not_finish_result(assignment: str, lang: str, attempts: int, reason: str) -> dict:
    """A complete result (all tests failed, flagged grader_error) for a task stopped by Dask."""
    from autograder.grading import engine
    res = engine.internal_error_result(assignment, lang)
    message = tr(lang, COULD_NOT_FINISH, attempts=attempts)
    res["output"] = message
    for t in res["tests"]:
        t["output"] = message
    res["extra_data"]["grader_reason"] = reason
    return res


def _store_result(job, assignment, lang, res, state, started, detail=""):
    job.seconds = time.perf_counter() - started
    job.results, job.state, job.detail = res, state, detail
    try:
        result_files.store(job.folder, job.source, assignment, lang, res, job.digest)
    except OSError as exc:
        from autograder.grading import engine
        engine.log(job.source, f"cannot write {job.folder}: {exc}")


def _store_grader_error(job, assignment, lang, started, reason, res=None):
    """Log why the cluster gave no result for job and store a grader_error one (res, or the
    engine's internal-error result carrying the reason)."""
    from autograder.grading import engine
    engine.log(job.source, reason)
    if res is None:
        res = engine.internal_error_result(assignment, lang, time.perf_counter() - started)
        res["extra_data"]["grader_reason"] = reason
    _store_result(job, assignment, lang, res, "grader_error", started, reason)
    job.worker = ""


def _set_allowed_failures(client, n: int) -> None:
    def setter(dask_scheduler=None, n=n):
        dask_scheduler.allowed_failures = n
        return n
    try:
        client.run_on_scheduler(setter)
    except Exception as exc:  # noqa: BLE001 - the scheduler's own setting applies
        print(f"[autograder] could not set allowed-failures on the scheduler ({exc}); "
              "its own distributed.scheduler.allowed-failures applies", file=sys.stderr)


def _warn_missing_resource(client, resources) -> None:
    if not resources:
        return
    try:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
    except TypeError:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # noqa: BLE001
        return
    if not any(all((w.get("resources") or {}).get(k, 0) >= v for k, v in resources.items())
               for w in workers.values()):
        print(f"[autograder] no worker offers {resources} yet: the tasks wait until one joins "
              "(dask worker ... --resources GPU=1)", file=sys.stderr)


def run(jobs, assignment, lang, device, scheduler, progress=None, *, resources="auto",
        allowed_failures=ALLOWED_FAILURES, timeout=60, budget=None):
    """Grade jobs (batch.Job, state "pending") on the Dask cluster at `scheduler` (an address
    or a distributed.Client); fills each job's results/state like batch.run. resources: worker
    resources each task needs ("auto": task_resources(assignment, device)). The worker that
    graded a job is recorded in job.worker."""
    if not jobs:
        return jobs
    from distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    if resources == "auto":
        resources = task_resources(assignment, device)
    own = not hasattr(scheduler, "submit")
    if own:
        try:
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnreachable(f"{scheduler}: {exc}") from exc
    else:
        client = scheduler
    futures = {}
    try:
        for job in jobs:
            result_files.claim(job.folder, job.source, assignment, lang, job.digest)
        if allowed_failures is not None:
            _set_allowed_failures(client, allowed_failures)
        _warn_missing_resource(client, resources)
        started, local = {}, []
        for job in jobs:
            try:
                payload = make_payload(job.source, assignment)
            except Unreadable as exc:
                local.append((job, exc))
                continue
            key = f"autograder-{result_files.safe_name(job.name)[:40]}-{uuid.uuid4().hex[:12]}"
            fut = client.submit(grade_payload, payload, assignment, lang, device, budget, key=key,
                                resources=resources, pure=False, retries=0)
            futures[fut] = job
            started[fut.key] = time.perf_counter()
        for job, exc in local:  # while the cluster works
            # cannot travel as content: the trusted reader here says why, as in local mode
            from autograder.grading import engine
            engine.log(job.source, f"graded locally: {exc}")
            t0 = time.perf_counter()
            res = engine.grade(job.source, assignment, lang=lang, device=device, budget=budget)
            _store_result(job, assignment, lang, res,
                          "grader_error" if store.is_grader_error(res) else "graded", t0)
            job.worker = ""
            if progress:
                progress(job)
        for fut in as_completed(list(futures), loop=client.loop):
            job = futures[fut]
            t0 = started[fut.key]
            try:
                answer = fut.result()
            except KilledWorker as exc:
                reason = (f"task {fut.key} stopped after {allowed_failures} retries: every worker "
                          f"running it died (KilledWorker: {exc})")
                _store_grader_error(job, assignment, lang, t0, reason, could_not_finish_result(
                    assignment, lang, (allowed_failures or 0) + 1, reason))
            except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - a grader bug, a lost task
                _store_grader_error(job, assignment, lang, t0, f"task {fut.key} failed on the cluster: "
                                    f"{type(exc).__name__}: {exc}")
            else:
                res = answer.get("results") if isinstance(answer, dict) else None
                if store.validate(res):
                    _store_grader_error(job, assignment, lang, t0, "worker returned an invalid "
                                        f"result: {store.validate(res)[:3]}")
                else:
                    _store_result(job, assignment, lang, res,
                                  "grader_error" if store.is_grader_error(res) else "graded", t0)
                job.worker = answer.get("worker", "") if isinstance(answer, dict) else ""
                job.zygote = answer.get("zygote") if isinstance(answer, dict) else None
            fut.release()
            if progress:
                progress(job)
    finally:
        for fut in futures:
            fut.release()
        if own:
            client.close()
    return jobs
