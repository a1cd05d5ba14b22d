"""Gradescope results.json: schema check, atomic writes, result folder naming and resume.

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

Typed results: a submission's result is a ``SubmissionResult`` (its ``TestResult`` entries, each
for a ``GradedTest``: graded object, points, titles), built by the engine and read back from a
results.json with ``SubmissionResult.from_gradescope``; ``to_gradescope()`` is the JSON that is
written. ``object_scores()`` is the one per-object sum of scores (report table, nbgrader cells).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field

from autograder.intake import safefiles
from autograder.text.i18n import N_, tr

RESULTS = "results.json"
META = "meta.json"
META_VERSION = 1

STATUS_PENDING = "pending"
STATUS_COMPLETE = "complete"
STATUS_GRADER_ERROR = "grader_error"

_TEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "score": (int, float), "max_score": (int, float), "status": str, "output": str, "visibility": str}


# ---------------------------------------------------------------- typed results

VISIBLE = "visible"
PASSED, FAILED = "passed", "failed"
# The output of a result the grader itself failed to produce (engine, Gradescope's run_autograder).
GRADER_FAILED = N_("Error interno del corrector: no se pudo calificar esta entrega (no es un error "
                   "de tu código). Avisa al equipo docente.")


def object_in_title(title: str) -> str:
    """The graded object a title names: titles begin with it and a colon (docs/architecture.md).
    Only for what does not carry the object itself (suite records without one, results.json
    written before tests' extra_data carried "object")."""
    return str(title).split(":", 1)[0].strip()


def _num(x):
    x = round(float(x or 0), 6)
    return int(x) if x.is_integer() else x


def _unique(names):
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        seen.setdefault(n, 1)
        out.append(n)
    return out


@dataclass
class GradedTest:
    """One test of a hidden suite: the graded object it checks, its points, its title per
    language ({"es": "corr2d: ...", "en": ...})."""
    object: str
    points: float
    titles: dict

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang) or self.titles.get("es") or next(iter(self.titles.values()), "")

    @classmethod
    def from_record(cls, record: dict, default_title: str = "") -> "GradedTest":
        """From a suite test's record (autograder.suites.plugin.item_info: "points", "title_<lang>",
        "object"); a record without an object names it in its Spanish title."""
        titles = {key[len("title_"):]: str(value) for key, value in record.items()
                  if key.startswith("title_") and value}
        titles = titles or {"es": default_title}
        obj = record.get("object") or object_in_title(titles.get("es") or next(iter(titles.values())))
        return cls(str(obj), record.get("points") or 0, titles)


@dataclass
class TestResult:
    """The outcome of one GradedTest for one submission. extra_data: trusted data for the report
    pages (tensors seen, a training curve), never student-facing text; review: what an
    instructor should look at (docs/security.md)."""
    test: GradedTest
    score: float
    status: str                       # PASSED | FAILED
    output: str = ""
    misconception: str | None = None
    extra_data: dict = field(default_factory=dict)
    review: list = field(default_factory=list)

    __test__ = False                  # not a pytest test class

    @property
    def lost_points(self) -> bool:
        return self.score < self.test.points or self.status == FAILED

    def to_gradescope(self, name: str, visibility: str) -> dict:
        entry = {"name": name, "score": _num(self.score), "max_score": _num(self.test.points),
                 "status": self.status, "output": self.output, "visibility": visibility}
        extra = {"object": self.test.object, **self.extra_data}
        if self.misconception:
            extra["misconception"] = self.misconception
        if self.review:
            extra["review"] = list(self.review)
        entry["extra_data"] = extra
        return entry

    @classmethod
    def from_gradescope(cls, entry: dict, lang: str = "es") -> "TestResult":
        extra = dict(entry.get("extra_data") or {})
        name = str(entry.get("name", ""))
        obj = extra.pop("object", None) or object_in_title(name)   # results.json written before
        test = GradedTest(str(obj), entry.get("max_score") or 0, {lang: name})
        return cls(test, entry.get("score") or 0, str(entry.get("status", FAILED)),
                   str(entry.get("output") or ""), extra.pop("misconception", None), extra,
                   list(extra.pop("review", None) or ()))


def as_result(result, assignment: str | None = None) -> "SubmissionResult":
    """`result` itself when it is a SubmissionResult, else its results.json read back."""
    if isinstance(result, SubmissionResult):
        return result
    return SubmissionResult.from_gradescope(result, assignment)


def test_object(entry: dict) -> str:
    """The graded object of one results.json test entry."""
    return TestResult.from_gradescope(entry).test.object


@dataclass
class ObjectScore:
    """A graded object's share of a result: its score, its maximum and its tests."""
    score: float
    max_score: float
    tests: list = field(default_factory=list)

    @property
    def failed(self) -> list:
        return [t for t in self.tests if t.lost_points]


@dataclass
class SubmissionResult:
    """The result of one submission. Its general output is `message` followed by the notes on
    reading the submission (rendered in `lang`); extra_data holds what results.json carries
    besides assignment, lang and grader_error ("loaded", "student_seconds", ...)."""
    assignment: str
    tests: list
    lang: str = "es"
    max_score: float = 0
    message: str = ""
    notes: list = field(default_factory=list)
    grader_error: bool = False
    execution_time: float = 0.0
    extra_data: dict = field(default_factory=dict)
    visibility: str | None = None     # Gradescope's; None: every test "visible", no default set

    @property
    def score(self):
        return _num(sum(_num(t.score) for t in self.tests))

    @property
    def needs_review(self) -> bool:
        """An instructor should look at this submission (docs/security.md)."""
        return any(t.review for t in self.tests) or bool(self.extra_data.get("review"))

    @property
    def output(self) -> str:
        notes = ""
        if self.notes:
            notes = tr(self.lang, "Notas sobre la lectura de la entrega:") + "\n" + \
                "\n".join(f"- {n}" for n in self.notes)
        return "\n\n".join(p for p in (self.message, notes) if p)

    def object_scores(self) -> dict[str, ObjectScore]:
        """{object: ObjectScore} for every object of the assignment (scoring.POINTS order, its
        points as maximum, the score kept within 0..maximum), then any other object the tests
        name (the sum of their points as maximum)."""
        from .scoring import POINTS
        out = {obj: ObjectScore(0.0, float(pts)) for obj, pts in POINTS.get(self.assignment, {}).items()}
        extra = set()
        for t in self.tests:
            entry = out.get(t.test.object)
            if entry is None:
                entry = out[t.test.object] = ObjectScore(0.0, 0.0)
                extra.add(t.test.object)
            if t.test.object in extra:
                entry.max_score += float(t.test.points or 0)
            entry.score += float(t.score or 0)
            entry.tests.append(t)
        for obj, entry in out.items():
            entry.score = round(entry.score, 6)
            if obj not in extra:
                entry.score = min(max(entry.score, 0.0), entry.max_score)
        return out

    def to_gradescope(self) -> dict:
        """The results.json of Gradescope's format (score = the sum of the tests' scores)."""
        visibility = self.visibility or VISIBLE
        names = _unique([t.test.title(self.lang) for t in self.tests])
        tests = [t.to_gradescope(name, visibility) for name, t in zip(names, self.tests)]
        extra = {"assignment": self.assignment, "lang": self.lang, "grader_error": bool(self.grader_error)}
        review = [dict(r, test=name) if isinstance(r, dict) else {"test": name, "detail": str(r)}
                  for name, t in zip(names, self.tests) for r in t.review]
        if review:  # an instructor should look at this submission (see docs/security.md)
            extra["review"] = review
        extra.update(self.extra_data)
        data = {"score": self.score, "max_score": self.max_score, "output": self.output,
                "execution_time": round(float(self.execution_time), 3), "tests": tests,
                "extra_data": extra}
        if self.visibility:
            data["visibility"] = self.visibility
            data["stdout_visibility"] = "hidden"       # run_autograder's stdout: the instructor's log
        return data

    @classmethod
    def from_gradescope(cls, data: dict, assignment: str | None = None) -> "SubmissionResult":
        """A results.json read back (also one written before tests carried their object)."""
        extra = dict(data.get("extra_data") or {})
        lang = str(extra.pop("lang", None) or "es")
        found = extra.pop("assignment", None)
        grader_error = bool(extra.pop("grader_error", False))
        tests = [TestResult.from_gradescope(t, lang) for t in data.get("tests") or [] if isinstance(t, dict)]
        if any(t.review for t in tests):
            extra.pop("review", None)                  # rebuilt from the tests' own
        data_visibility = data.get("visibility")
        return cls(assignment or found or "", tests, lang, data.get("max_score") or 0, str(data.get("output") or ""),
                   [], grader_error, float(data.get("execution_time") or 0.0), extra,
                   data_visibility if isinstance(data_visibility, str) else None)


# ---------------------------------------------------------------- schema

def validate(results) -> list[str]:
    """Problems with a results dict (empty list: it is a complete Gradescope result)."""
    problems = []
    if not isinstance(results, dict):
        return ["not a JSON object"]
    for key, kind in (("score", (int, float)), ("max_score", (int, float)), ("output", str),
                      ("execution_time", (int, float)), ("tests", list)):
        if not isinstance(results.get(key), kind) or isinstance(results.get(key), bool):
            problems.append(f"missing or bad '{key}'")
    tests = results.get("tests")
    if isinstance(tests, list):
        names = set()
        for i, t in enumerate(tests):
            if not isinstance(t, dict):
                problems.append(f"tests[{i}] is not an object")
                continue
            for key, test_kind in _TEST_KEYS.items():
                if not isinstance(t.get(key), test_kind) or isinstance(t.get(key), bool):
                    problems.append(f"tests[{i}]: missing or bad '{key}'")
            if t.get("status") not in ("passed", "failed"):
                problems.append(f"tests[{i}]: status must be passed/failed")
            if t.get("name") in names:
                problems.append(f"tests[{i}]: duplicate name {t.get('name')!r}")
            names.add(t.get("name"))
        if not problems:
            total = sum(t["score"] for t in tests)
            if abs(total - results["score"]) > 1e-6:
                problems.append("score is not the sum of the tests' scores")
    return problems


def is_grader_error(results) -> bool:
    if isinstance(results, SubmissionResult):
        return results.grader_error
    return bool(isinstance(results, dict) and (results.get("extra_data") or {}).get("grader_error"))


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
