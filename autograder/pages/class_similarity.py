"""The similarity section of the class page: fingerprints of every graded submission of a
results folder (cached per submission beside its results, keyed by the submission's content
hash, computed in parallel when missing), pairs through the inverted index, and the top
clusters with the fragment of each cluster's strongest pair.

OUT/<name>/fingerprints.json caches one submission's winnowed fingerprints: a regrade, or
the class page rebuilt after one student changed, fingerprints only the changed submission.
The cache is trusted output (written here), never read from a submission."""
from __future__ import annotations

import os

from autograder.grading import result_files, scoring

from . import similarity
from .parallel import pool_map

CACHE = "fingerprints.json"
# what the cached hashes depend on: change it with the normalisation or the hashing
CACHE_VERSION = f"4:k{similarity.K}:w{similarity.WINDOW}"
MAX_CLUSTERS = 30           # clusters shown per assignment (strongest first)
MAX_PAIRS_SHOWN = 50        # pairs listed inside one cluster


def graded_source_of(path, assignment) -> str:
    """The compared source of one submission ("" when it cannot be read)."""
    from autograder.intake.submission import load_submission
    try:
        sub = load_submission(path, assignment)
    except Exception:  # noqa: BLE001 - an unreadable source just has no fingerprints
        return ""
    return similarity.graded_source(sub.cells, list(scoring.POINTS.get(assignment, {})))


def _fingerprint_job(job):
    """Pool worker: (folder, source path, assignment, sha256) -> sorted hashes, cached."""
    folder, path, assignment, digest = job
    hashes = sorted(similarity.fingerprints(graded_source_of(path, assignment)).hashes)
    result_files.write_json_atomic(os.path.join(folder, CACHE), {
        "version": CACHE_VERSION, "assignment": assignment, "sha256": digest, "hashes": hashes})
    return hashes


def _cached(folder, assignment, digest):
    data = result_files.read_json(os.path.join(folder, CACHE))
    if isinstance(data, dict) and data.get("version") == CACHE_VERSION and digest \
            and data.get("sha256") == digest and data.get("assignment") == assignment \
            and isinstance(data.get("hashes"), list):
        return data["hashes"]
    return None


def fingerprint_sets(out_dir, entries, assignment, jobs=1) -> dict:
    """{name: set of fingerprint hashes} of the entries that have a source to read."""
    prints, todo = {}, []
    for e in entries:
        path = e.meta.get("source")
        if not path or e.state == "grader_error":
            continue
        folder = os.path.join(out_dir, e.name)
        hashes = _cached(folder, assignment, e.meta.get("sha256"))
        if hashes is None:
            todo.append((e.name, (folder, path, assignment, e.meta.get("sha256") or "")))
        else:
            prints[e.name] = set(hashes)
    for (name, _job), hashes in zip(todo, pool_map(_fingerprint_job, [j for _n, j in todo], jobs)):
        prints[name] = set(hashes)
    return {name: hashes for name, hashes in prints.items() if hashes}


def section(out_dir, entries, assignment, jobs=1, common_share=None) -> dict:
    """The template data of one assignment's similarity section."""
    objects = list(scoring.POINTS.get(assignment, {}))
    stub = set()
    for src in similarity.release_sources(assignment, objects):
        stub.update(similarity.fingerprints(src).hashes)
    prints = fingerprint_sets(out_dir, entries, assignment, jobs)
    prints = {name: hashes for name, hashes in prints.items() if hashes - stub}
    limit = similarity.common_limit(len(prints), common_share)
    groups = similarity.clusters(similarity.score_pairs(prints, stub, limit))
    paths = {e.name: e.meta.get("source") for e in entries}
    shown = []
    for c in groups[:MAX_CLUSTERS]:
        a, b, score, shared = c.best
        best = similarity.pair_detail(a, b, graded_source_of(paths[a], assignment),
                                      graded_source_of(paths[b], assignment), score, shared)
        shown.append({
            "members": c.members, "size": len(c.members), "pct": f"{100 * score:.0f}",
            "shared": shared, "best": {"a": a, "b": b, "fragment_a": best.fragment_a,
                                       "fragment_b": best.fragment_b, "lines_a": best.lines_a,
                                       "lines_b": best.lines_b},
            "pairs": [{"a": p[0], "b": p[1], "pct": f"{100 * p[2]:.0f}", "shared": p[3]}
                      for p in c.pairs[:MAX_PAIRS_SHOWN]],
            "more_pairs": max(0, len(c.pairs) - MAX_PAIRS_SHOWN)})
    return {"clusters": shown, "more_clusters": max(0, len(groups) - MAX_CLUSTERS),
            "compared": len(prints), "limit": limit}
