"""The submitted notebook graded on the trusted side, once per content: `engine.grade` in a grading
interpreter kept for the whole nbgrader command (or the course's warm service), results cached
under the store by (bytes, assignment, lang, device, grader code)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from time import time_ns

from autograder import locations
from autograder.grading.result_files import write_json_atomic
from autograder.nbgrader.fingerprint import fingerprint
from autograder.nbgrader.snapshot import SnapshotError, read_regular
from autograder.sandboxed.kernel_hook import HookError
from autograder.text.i18n import tr

_PKG_PARENT = Path(locations.PACKAGE_PARENT).resolve()      # the directory holding `autograder/`
_MEMO: dict = {}                                           # cache key -> result (this process)


def settings() -> tuple[str, str]:
    return os.environ.get("AUTOGRADER_LANG", "es"), os.environ.get("AUTOGRADER_DEVICE", "auto")


# ------------------------------------------------------------------ grading, cached by content


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
                "from autograder.nbgrader.trusted_grading import _serve; _serve(sys.argv[2])")
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

# The grader's progress lines (training/progress.log): shown on nbgrader's stderr, the instructor's
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
        from autograder.nbgrader import warm_client
        warm = warm_client.client(warm_store)
        if warm is not None:
            work = Path(warm_store) / "warm-work"
            work.mkdir(mode=0o700, exist_ok=True)
            copy = work / f"in-{os.getpid()}-{time_ns()}-{Path(path).name}"
            copy.write_bytes(read_regular(path))
            try:
                return warm.grade(copy, assignment, lang, device, timeout,
                                  progress=lambda line: _relay(line.encode("utf-8", "replace")))
            except warm_client.WarmError as exc:
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
