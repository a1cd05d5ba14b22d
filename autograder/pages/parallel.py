"""A process pool for the report pages' per-student work (student pages, fingerprints),
sized to the grading lanes (`--jobs`). Forked like the lanes (autograder/grading/batch.py), so the
workers start with the parent's imports and templates; serial where a pool would cost more
than it saves."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

MIN_PARALLEL = 16   # fewer items than this run in this process (a pool starts in ~0.1 s)


def pool_map(fn, items, jobs=1) -> list:
    """[fn(item) for item in items], on up to `jobs` forked processes. fn must be a module
    level function (pickled by name) and its results picklable."""
    items = list(items)
    jobs = max(1, int(jobs or 1))
    if jobs == 1 or len(items) < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    chunk = max(1, len(items) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, items, chunksize=chunk))
