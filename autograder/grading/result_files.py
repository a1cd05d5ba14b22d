"""A results folder on disk: atomic writes, result folder naming, resume.

Layout of an output folder (``autograder grade --out DIR``)::

    DIR/<name>/results.json   the Gradescope results of one submission
    DIR/<name>/meta.json      which submission it is (absolute path, sha256 of its content),
                              the assignment and language it was graded for, and its status

``meta.json`` is written first with status "pending" (it claims the folder for that
submission) and rewritten with status "complete" (or "grader_error") only after
``results.json`` has been written. Both writes are atomic (temporary file in the same folder,
then ``os.replace``), so a batch killed at any point leaves each folder either complete or
visibly incomplete, never half-written. A rerun skips a submission only when its folder is
complete for the same source path, content hash, assignment and language.

Names: ``<name>`` is the file stem (the folder's name for a folder submission), made safe for
file names. A submission keeps the folder it was given before (found through meta.json), so
names are stable across reruns. A new submission whose name is already used, in the same run
or by another submission's folder, gets ``<stem>-<8 hex of sha256(absolute path)>``; two
submissions never share a folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time

from autograder.grading.results import SubmissionResult, is_grader_error, validate
from autograder.intake import safefiles

RESULTS = "results.json"
META = "meta.json"
META_VERSION = 1

STATUS_PENDING = "pending"
STATUS_COMPLETE = "complete"
STATUS_GRADER_ERROR = "grader_error"


# ---------------------------------------------------------------- files

def write_atomic(path, data: bytes, mode: int | None = None) -> None:
    """Write bytes to path atomically: a temporary file in the same folder (created if needed),
    fsync, os.replace. mode: the file's permissions (default: mkstemp's 0600)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path, data, mode: int | None = None) -> None:
    """Write JSON (a SubmissionResult: its results.json) to path atomically (write_atomic)."""
    if isinstance(data, SubmissionResult):
        data = data.to_gradescope()
    write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), mode)


def read_json(path):
    """The parsed JSON at path, or None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def source_hash(path) -> str:
    """sha256 of a submission's content: the file, or every file under a folder (relative
    paths and contents, in sorted order; hidden files and __pycache__ skipped). Nothing is read
    through a link or from a special file (a FIFO would hang, /dev/zero never ends): those
    count by their kind and, for a link, its target text."""
    h = hashlib.sha256()
    path = os.fspath(path)
    kind = safefiles.lkind(path)
    if kind == "directory":
        try:
            entries = safefiles.walk(path, skip_dir=lambda d: d == "__pycache__")
        except safefiles.Refused:
            entries = []
        for parts, kind in entries:
            if kind == "directory":
                continue
            h.update("/".join(parts).encode("utf-8", "surrogateescape") + b"\0")
            _hash_entry(h, kind, lambda: safefiles.open_under(path, parts), os.path.join(path, *parts))
    elif kind == "missing":
        h.update(b"<missing>")
    else:
        _hash_entry(h, kind, lambda: safefiles.open_regular(path), path)
    return h.hexdigest()


def _hash_entry(h, kind, opener, full):
    if kind == "file":
        try:
            fd = opener()
        except safefiles.Refused:
            h.update(b"<unreadable>")
        else:
            try:
                for chunk in iter(lambda: os.read(fd, 1 << 20), b""):
                    h.update(chunk)
            except OSError:
                h.update(b"<unreadable>")
            finally:
                os.close(fd)
    elif kind == "symlink":
        try:
            target = os.readlink(full)
        except OSError:
            target = ""
        h.update(b"<symlink>" + target.encode("utf-8", "surrogateescape"))
    else:
        h.update(f"<{kind}>".encode())
    h.update(b"\0")


# ---------------------------------------------------------------- names

_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(text: str) -> str:
    name = _UNSAFE.sub("_", text).strip("._") or "entrega"
    return name[:80]


def path_tag(path) -> str:
    return hashlib.sha256(os.path.abspath(os.fspath(path)).encode("utf-8", "surrogateescape")).hexdigest()[:8]


def existing_folders(out_dir) -> dict[str, str | None]:
    """{folder name: absolute source path recorded in its meta.json (None: no usable meta)}."""
    found: dict[str, str | None] = {}
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return found
    for e in entries:
        if not e.is_dir() or e.name.startswith("."):
            continue
        meta = read_json(os.path.join(e.path, META))
        found[e.name] = meta.get("source") if isinstance(meta, dict) else None
    return found


def assign_names(items, out_dir) -> list[str]:
    """Result folder names for items = [(source path, name hint)], in the same order.

    Deterministic: a source that already owns a folder in out_dir keeps it; the others are
    processed in order of absolute path and get the hint when it is free (case-insensitively,
    for case-insensitive file systems), else hint-<8 hex of the path's sha256>."""
    existing = existing_folders(out_dir)
    owner_of: dict[str, str] = {}
    for name, src in existing.items():
        if src is not None:
            owner_of.setdefault(src, name)
    taken = {}  # casefolded name -> source owning it (None: a foreign folder)
    for name, src in existing.items():
        if src is not None or _is_empty_dir(os.path.join(out_dir, name)) is False:
            taken[name.casefold()] = src

    names: dict[int, str] = {}
    for i, (src, _hint) in enumerate(items):
        src = os.path.abspath(src)
        if src in owner_of:
            names[i] = owner_of[src]
    order = sorted((i for i in range(len(items)) if i not in names),
                   key=lambda i: os.path.abspath(items[i][0]))
    used = {n.casefold() for n in names.values()}
    for i in order:
        src, hint = os.path.abspath(items[i][0]), safe_name(items[i][1])
        candidates = [hint, f"{hint}-{path_tag(src)}"]
        candidates += [f"{hint}-{path_tag(src)}-{k}" for k in range(2, 1000)]
        for cand in candidates:
            key = cand.casefold()
            if key in used:
                continue
            if key in taken and taken[key] != src:
                continue
            names[i] = cand
            used.add(key)
            break
    return [names[i] for i in range(len(items))]


def _is_empty_dir(path):
    try:
        return not any(os.scandir(path))
    except OSError:
        return None


# ---------------------------------------------------------------- meta and resume

def make_meta(source, assignment, lang, status, digest=None, **extra) -> dict:
    meta = {"version": META_VERSION, "source": os.path.abspath(os.fspath(source)),
            "sha256": digest if digest is not None else source_hash(source),
            "assignment": assignment, "lang": lang, "status": status,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    meta.update(extra)
    return meta


def claim(folder, source, assignment, lang, digest) -> None:
    """Mark folder as holding (soon) the result of source: meta.json with status pending."""
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(os.path.join(folder, META),
                      make_meta(source, assignment, lang, STATUS_PENDING, digest))


def store(folder, source, assignment, lang, results, digest=None) -> None:
    """Write results.json (a SubmissionResult or its Gradescope dict), then meta.json (complete /
    grader_error), both atomically."""
    if isinstance(results, SubmissionResult):
        results = results.to_gradescope()
    if digest is None:
        digest = source_hash(source)
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(os.path.join(folder, RESULTS), results)
    status = STATUS_GRADER_ERROR if is_grader_error(results) else STATUS_COMPLETE
    write_json_atomic(os.path.join(folder, META),
                      make_meta(source, assignment, lang, status, digest,
                                score=results.get("score"), max_score=results.get("max_score")))


def load_complete(folder, source, assignment, lang, digest=None):
    """The stored results when folder holds a complete result of this very submission (same
    path, content, assignment and language), else None."""
    meta = read_json(os.path.join(folder, META))
    if not isinstance(meta, dict) or meta.get("status") != STATUS_COMPLETE:
        return None
    if meta.get("source") != os.path.abspath(os.fspath(source)):
        return None
    if meta.get("assignment") != assignment or meta.get("lang") != lang:
        return None
    if meta.get("sha256") != (digest if digest is not None else source_hash(source)):
        return None
    results = read_json(os.path.join(folder, RESULTS))
    if validate(results) or is_grader_error(results):
        return None
    return results
