"""What `nbgrader autograde` grades: a snapshot of the submitted notebook, taken before any kernel
runs, graded once on the trusted side and cached by content.

During `nbgrader autograde` (assignments/nbgrader_config.py, autograder/nbgrader/preprocessors.py)
three preprocessors run in nbgrader's own process for each notebook:

1. `SnapshotSubmission`, before execution: copies `submitted/<student>/<id>/<nb>.ipynb` (bytes,
   never through a link) into the store below with its sha256 (this module), grades that copy with
   the hardened grader (trusted_grading.py: `engine.grade` in a grading interpreter kept for the
   whole command) unless the cache
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
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.result_files import write_atomic, write_json_atomic
from autograder.intake import safefiles
from autograder.text.i18n import N_, tr

STORE_NAME = ".autograder"
MAX_NOTEBOOK_BYTES = 64 << 20


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
