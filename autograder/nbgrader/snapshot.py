"""What `nbgrader autograde` grades: a snapshot of the submitted notebook, taken before any kernel
runs, graded once on the trusted side and cached by content.

During `nbgrader autograde` (assignments/nbgrader_config.py, autograder.nbgrader_hook.
autograde_preprocessors) three preprocessors run in nbgrader's own process for each notebook:

1. `SnapshotSubmission`, before execution: copies `submitted/<student>/<id>/<nb>.ipynb` (bytes,
   never through a link) into the store below with its sha256, grades that copy with the hardened
   grader (`engine.grade` in a grading interpreter kept for the whole command) unless the cache
   already holds the result for the same bytes, and writes the student's view of it (per-object
   score and feedback, nothing
   else) for the kernel;
2. `autograder.nbgrader.kernel.ConfinedExecute` runs the notebook in a sandboxed kernel that sees
   that view read-only (the grade cells' `hidden_score` prints it);
3. `TrustedGradeCells`, after execution: the outputs of every grade cell that calls
   `hidden_score` are replaced with the trusted feedback and score (so whatever the student's code
   did to its kernel, nbgrader records the snapshot's grades); without a trusted result, only their
   stderr is dropped (nbgrader zeroes a grade cell with stderr output).

`autograder grade --nbgrader` (autograder/nbgrader/gradebook.py) grades the same snapshot, from
the same cache (no second LeNet training for ps5) unless --force.

The store, `ROOT/<autograded>/.autograder/` (0700, owned by whoever runs nbgrader; nbgrader's
globs skip dot folders; the kernels never see it):

    snapshots/<id>/<student>/<nb>.ipynb       the submitted bytes
    snapshots/<id>/<student>/<nb>.meta.json   {"sha256", "size", "taken", "source"}
    snapshots/<id>/<student>/<nb>.hook.json   the kernel's view (0644; a read-only copy is shown to it)
    cache/<key>.json                          engine results; key = sha256 of (bytes, assignment,
                                              lang, device, grader code)
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from time import time_ns
from pathlib import Path

from autograder.intake import safefiles
from autograder.text.i18n import N_, tr
from autograder.nbgrader.grade_cells import HOOK_CALL, feedback_text, is_hook_cell, without_stderr
from autograder.sandboxed.kernel_hook import HookError
from autograder.grading.results import as_result
from autograder.grading.result_files import write_atomic, write_json_atomic
from autograder.grading.scoring import POINTS
from autograder import locations

_PKG_PARENT = Path(locations.PACKAGE_PARENT).resolve()      # the directory holding `autograder/`
STORE_NAME = ".autograder"
MAX_NOTEBOOK_BYTES = 64 << 20
_MEMO: dict = {}                                           # cache key -> result (this process)
_FINGERPRINT: list = []


class SnapshotError(RuntimeError):
    """The submitted notebook cannot be read safely (missing, a link, not a regular file, too big).
    str(): the message in Spanish; text(lang): in `lang` (a field that is a safefiles.Refused is
    its own note, in that language)."""

    def __init__(self, message: str, **fields):
        self.message, self.fields = message, fields
        super().__init__(self.text("es"))

    def text(self, lang: str) -> str:
        fields = {k: v.text(lang) if isinstance(v, safefiles.Refused) else v
                  for k, v in self.fields.items()}
        return tr(lang, self.message, **fields)


# ------------------------------------------------------------------ reading submissions

def read_regular(path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file, never through a symlink, never blocking on a fifo
    (autograder/intake/safefiles.py)."""
    try:
        return safefiles.read_regular(path, max_bytes)
    except safefiles.Refused as exc:
        raise SnapshotError(N_("no se puede leer {path}: {reason}"), path=path, reason=exc) from None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ the store

def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise SnapshotError(N_("{path} no es una carpeta propia"), path=path)
    return path


def _safe_part(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise SnapshotError(N_("nombre no válido: {name}"), name=repr(name))
    return name


@dataclass
class Snapshot:
    path: Path          # the copy of the submitted notebook
    sha256: str
    meta: dict


class Store:
    """The snapshots and the result cache of one nbgrader course (module doc)."""

    def __init__(self, course_root, autograded_directory: str = "autograded"):
        self.root = Path(course_root).resolve() / autograded_directory / STORE_NAME

    @property
    def cache_dir(self) -> Path:
        _private_dir(self.root)
        return _private_dir(self.root / "cache")

    def _folder(self, assignment, student, create=False) -> Path:
        folder = self.root / "snapshots" / _safe_part(assignment) / _safe_part(student)
        if create:
            for level in (self.root, folder.parent.parent, folder.parent, folder):
                _private_dir(level)
        return folder

    def take(self, assignment: str, student: str, notebook: str, submitted) -> Snapshot:
        """Copy the submitted notebook into the store (replacing an older snapshot)."""
        data = read_regular(submitted)
        folder = self._folder(assignment, student, create=True)
        name = _safe_part(notebook)
        digest = sha256(data)
        meta = {"sha256": digest, "size": len(data), "source": str(submitted),
                "taken": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        write_atomic(folder / f"{name}.ipynb", data)
        write_json_atomic(folder / f"{name}.meta.json", meta)
        return Snapshot(folder / f"{name}.ipynb", digest, meta)

    def find(self, assignment: str, student: str, notebook: str) -> Snapshot | None:
        """The snapshot taken by the last `nbgrader autograde` of this notebook, or None."""
        folder = self._folder(assignment, student)
        name = _safe_part(notebook)
        try:
            meta = json.loads((folder / f"{name}.meta.json").read_text(encoding="utf-8"))
            data = read_regular(folder / f"{name}.ipynb")
        except (OSError, ValueError, SnapshotError):
            return None
        if not isinstance(meta, dict) or meta.get("sha256") != sha256(data):
            return None
        return Snapshot(folder / f"{name}.ipynb", meta["sha256"], meta)

    def write_view(self, assignment: str, student: str, notebook: str, view: dict) -> Path:
        path = self._folder(assignment, student, create=True) / f"{_safe_part(notebook)}.hook.json"
        write_json_atomic(path, view, mode=0o644)
        return path


# ------------------------------------------------------------------ grading, cached by content

def fingerprint() -> str:
    """Hash of the grader's own code, so cached results die when the grader changes."""
    if not _FINGERPRINT:
        h = hashlib.sha256()
        for top in ("autograder", "reference"):
            for p in sorted((_PKG_PARENT / top).rglob("*.py")):
                h.update(str(p.relative_to(_PKG_PARENT)).encode())
                try:
                    h.update(p.read_bytes())
                except OSError:
                    pass
        _FINGERPRINT.append(h.hexdigest())
    return _FINGERPRINT[0]


def result_key(data: bytes, assignment: str, lang: str, device: str) -> str:
    h = hashlib.sha256()
    for part in (data, assignment.encode(), lang.encode(), device.encode(), fingerprint().encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


class _GradingChild:
    """One long-lived grading interpreter per process: `nbgrader autograde` grades its notebooks
    one after the other, and a fresh interpreter per notebook paid torch's import, the sandbox
    zygote's boot and pytest's start-up every time (~6 s of CPU, more than the whole notebook's
    execution). Requests and answers are lines on its stdin/stdout; an answer line carries a
    random token, so nothing else the grader prints can pass for one."""

    def __init__(self):
        import secrets
        self.token = secrets.token_hex(16)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from autograder.nbgrader.snapshot import _serve; _serve(sys.argv[2])")
        self.tmp = tempfile.mkdtemp(prefix="cnn-hook-")
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(_PKG_PARENT), self.token],
                                     cwd=self.tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def grade(self, path, assignment, lang, device, timeout) -> dict:
        import selectors
        import time

        out = Path(self.tmp) / f"result-{os.getpid()}-{time.monotonic_ns()}.json"
        request = {"path": str(path), "assignment": assignment, "lang": lang, "device": device,
                   "out": str(out)}
        self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
        self.proc.stdin.flush()
        tail, deadline, buf = [], time.monotonic() + timeout, b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    raise HookError(tr(lang, "la calificación superó {timeout:g} s", timeout=timeout))
                if not sel.select(left):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:  # the child died
                    self.close()
                    text = b"".join(tail).decode("utf-8", "replace")[-3000:]
                    raise HookError(tr(lang, "el calificador falló (código {code}):", code=self.proc.returncode)
                                    + "\n" + text)
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line.strip() == f"{self.token} done".encode():
                        try:
                            return json.loads(out.read_text(encoding="utf-8"))
                        finally:
                            out.unlink(missing_ok=True)
                    if line.startswith(PROGRESS_PREFIX):
                        _relay(line)
                    tail = (tail + [line + b"\n"])[-200:]

    def close(self) -> None:
        import shutil

        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


_CHILD: list = []
_CHILD_CLOSER: list = []

# The grader's progress lines (training_check._log): shown on nbgrader's stderr, the instructor's
# terminal, as they come, while a LeNet trains for minutes.
PROGRESS_PREFIX = b"[autograder] "


def _relay(line: bytes) -> None:
    text = "".join(ch for ch in line.decode("utf-8", "replace") if ch.isprintable())[:500]
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _close_child() -> None:
    while _CHILD:
        _CHILD.pop().close()


def run_engine(path, assignment: str, lang: str = "es", device: str = "auto", warm_store=None) -> dict:
    """engine.grade(path) in a separate grading interpreter (nothing of the calling process, e.g.
    a kernel the student's code ran in, reaches the grader), kept alive for the next notebook;
    all its output captured. With `warm_store` (the course's store), the interpreter is the
    course's warm service (autograder/nbgrader/warm.py), kept between commands, when it runs."""
    import atexit

    timeout = float(os.environ.get("AUTOGRADER_HOOK_TIMEOUT", "3000"))
    if warm_store is not None:
        from autograder.nbgrader import warm as nbgrader_warm
        warm = nbgrader_warm.client(warm_store)
        if warm is not None:
            work = Path(warm_store) / "warm-work"
            work.mkdir(mode=0o700, exist_ok=True)
            copy = work / f"in-{os.getpid()}-{time_ns()}-{Path(path).name}"
            copy.write_bytes(read_regular(path))
            try:
                return warm.grade(copy, assignment, lang, device, timeout,
                                  progress=lambda line: _relay(line.encode("utf-8", "replace")))
            except nbgrader_warm.WarmError as exc:
                print(f"[autograder] warm grading service failed ({exc}); grading here", file=sys.stderr)
            finally:
                copy.unlink(missing_ok=True)
    if _CHILD and not _CHILD[0].alive():
        _close_child()
    if not _CHILD:
        if not _CHILD_CLOSER:
            atexit.register(_close_child)
            _CHILD_CLOSER.append(True)
        _CHILD.append(_GradingChild())
    child = _CHILD[0]
    copy = Path(child.tmp) / f"in-{os.getpid()}-{len(os.listdir(child.tmp))}"
    copy.mkdir()
    target = copy / Path(path).name
    target.write_bytes(read_regular(path))  # the child may not see the caller's private tmp folder
    try:
        return child.grade(target, assignment, lang, device, timeout)
    finally:
        import shutil
        shutil.rmtree(copy, ignore_errors=True)


def _serve(token: str) -> None:
    """Entry point of the grading child: one JSON request per stdin line, engine.grade -> the
    request's JSON file, then '<token> done' on stdout."""
    from autograder.grading import engine
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        result = engine.grade(req["path"], req["assignment"], lang=req["lang"], device=req["device"])
        write_json_atomic(req["out"], result)
        sys.stdout.write(f"{token} done\n")
        sys.stdout.flush()


def _reusable(result) -> bool:
    """A cached result serves this run unless it was graded unconfined and this run is not: a
    grade made where student code could read the solutions is redone once confinement exists."""
    if not (isinstance(result, dict) and isinstance(result.get("tests"), list)):
        return False
    if (result.get("extra_data") or {}).get("confinement") != "unconfined":
        return True
    from autograder.sandbox import confinement_label
    return confinement_label() == "unconfined"


def cached_result(path, assignment: str, *, lang: str = "es", device: str = "auto", cache_dir=None):
    """The cached results of the notebook at `path`, or None (never grades)."""
    data = read_regular(path)
    key = result_key(data, assignment, lang, device)
    if key in _MEMO and _reusable(_MEMO[key]):
        return _MEMO[key]
    if cache_dir is None:
        return None
    try:
        result = json.loads(read_regular(Path(cache_dir) / f"{key}.json"))
    except (SnapshotError, ValueError):
        return None
    return result if _reusable(result) else None


def grade_cached(path, assignment: str, *, lang: str = "es", device: str = "auto", cache_dir=None,
                 force: bool = False, grade=None) -> tuple[dict, bool]:
    """(results of the notebook at `path`, whether they came from the cache).

    The bytes are read once (never through a link) and graded from a private copy, so what is
    graded is what was hashed. `grade(path, assignment, lang=, device=)` defaults to run_engine.
    Results are memoised in this process and kept in `cache_dir` (when given) by result_key;
    force=True regrades and refreshes the cache."""
    data = read_regular(path)
    key = result_key(data, assignment, lang, device)
    cached = Path(cache_dir) / f"{key}.json" if cache_dir else None
    if not force:
        if key in _MEMO and _reusable(_MEMO[key]):
            return _MEMO[key], True
        if cached is not None:
            try:
                result = json.loads(read_regular(cached))
            except (SnapshotError, ValueError):
                result = None
            if _reusable(result):
                _MEMO[key] = result
                return result, True
    with tempfile.TemporaryDirectory(prefix="cnn-grade-") as tmp:
        copy = Path(tmp) / Path(path).name
        copy.write_bytes(data)
        result = (grade or run_engine)(str(copy), assignment, lang=lang, device=device)
    grader_failed = bool((result.get("extra_data") or {}).get("grader_error"))
    if cached is not None and not grader_failed:
        try:
            write_json_atomic(cached, result)
        except OSError:
            pass
    if not grader_failed:
        _MEMO[key] = result
    return result, False


def hook_view(result, assignment: str, notebook: str, digest: str, lang: str) -> dict:
    """What the kernel may see: per object of the assignment, its score, maximum and feedback
    text (result: a SubmissionResult or its results.json)."""
    result = as_result(result, assignment)
    scores = result.object_scores()
    return {"assignment": assignment, "notebook": notebook, "sha256": digest, "lang": lang,
            "objects": {obj: {"score": scores[obj].score, "max_score": scores[obj].max_score,
                              "feedback": feedback_text(result, assignment, obj, lang)}
                        for obj in POINTS[assignment]}}


def grade_cell_outputs(result, assignment: str, obj: str, lang: str, execution_count=None) -> list:
    """The outputs of a grade cell that calls hidden_score(assignment, obj): the trusted feedback
    on stdout and the object's points as the cell's result (nbgrader's partial credit). result:
    a SubmissionResult or its results.json; None: nothing graded (0 points)."""
    import nbformat
    if result is None:
        text, score = f"{obj}: 0 / {POINTS[assignment][obj]:g}", 0.0
    else:
        result = as_result(result, assignment)
        text, score = feedback_text(result, assignment, obj, lang), result.object_scores()[obj].score
    return [nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(score))},
                                   execution_count=execution_count)]


def error_view(assignment: str, notebook: str, exc: Exception, lang: str) -> dict:
    """The kernel's view when the snapshot could not be graded: the message it shows."""
    reason = exc.text(lang) if isinstance(exc, SnapshotError) else str(exc)
    return {"assignment": assignment, "notebook": notebook,
            "error": tr(lang, "el calificador no pudo calificar la entrega: {error}", error=reason)}


# ------------------------------------------------------------------ nbgrader preprocessors

def _settings() -> tuple[str, str]:
    return os.environ.get("AUTOGRADER_LANG", "es"), os.environ.get("AUTOGRADER_DEVICE", "auto")


def _make_preprocessors():
    """The two preprocessors (built on first use: nbgrader is needed only by nbgrader's process)."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import NbGraderPreprocessor

    class SnapshotSubmission(NbGraderPreprocessor):
        """Before execution: snapshot the submitted notebook, grade it (cached), write the kernel's
        view; leaves resources["autograder"] = {"result", "snapshot", "hook_results"}."""

        def preprocess(self, nb, resources):
            info = resources.get("nbgrader") or {}
            student, assignment, notebook = info.get("student"), info.get("assignment"), info.get("notebook")
            if not (student and notebook) or assignment not in POINTS:
                return nb, resources
            lang, device = _settings()
            cd = CourseDirectory(config=self.config)
            store = Store(cd.root, cd.autograded_directory)
            submitted = Path(cd.format_path(cd.submitted_directory, student, assignment)) / f"{notebook}.ipynb"
            ours = resources.setdefault("autograder", {})
            ours["store"] = str(store.root)     # the kernel manager reaches the warm service through it
            try:
                snap = store.take(assignment, student, notebook, submitted)
                result, hit = grade_cached(snap.path, assignment, lang=lang, device=device,
                                           cache_dir=store.cache_dir,
                                           grade=lambda p, a, **kw: run_engine(p, a, warm_store=store.root, **kw))
                self.log.info("autograder: %s/%s/%s graded (%s): %s / %s", assignment, student, notebook,
                              "cached" if hit else "now", result.get("score"), result.get("max_score"))
                ours.update(result=result, snapshot=str(snap.path))
                view = hook_view(result, assignment, notebook, snap.sha256, lang)
            except (SnapshotError, HookError, OSError) as exc:
                self.log.error("autograder: could not grade %s of %s: %s", notebook, student, exc)
                view = error_view(assignment, notebook, exc, lang)
            ours["hook_results"] = str(store.write_view(assignment, student, notebook, view))
            return nb, resources


    class TrustedGradeCells(NbGraderPreprocessor):
        """After execution: the grade cells that call hidden_score show the trusted feedback and
        score of the snapshot; without a trusted result, their stderr output is dropped."""

        def preprocess_cell(self, cell, resources, cell_index):
            if not is_hook_cell(cell):
                return cell, resources
            result = (resources.get("autograder") or {}).get("result")
            assignment = (resources.get("nbgrader") or {}).get("assignment")
            match = HOOK_CALL.search(cell.get("source", ""))
            obj = match.group(2) if match and match.group(1) == assignment else None
            if result is not None and obj in POINTS.get(assignment, {}):
                lang, _ = _settings()
                cell.outputs = grade_cell_outputs(result, assignment, obj, lang, cell.get("execution_count"))
            else:
                cell.outputs = without_stderr(cell.get("outputs"))
            return cell, resources

    for cls in (SnapshotSubmission, TrustedGradeCells):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    return {"SnapshotSubmission": SnapshotSubmission, "TrustedGradeCells": TrustedGradeCells}


def __getattr__(name):
    if name in ("SnapshotSubmission", "TrustedGradeCells"):
        globals().update(_make_preprocessors())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
