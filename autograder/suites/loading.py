"""The submission's code cells as the suites load them, and the notes on what was skipped."""
from __future__ import annotations

import json
import os

from autograder.text.i18n import tr


def _fallback_cells(path, lang="es"):
    """Used only while autograder.intake.submission is unavailable: .py text or an .ipynb's code cells."""
    from autograder.intake import safefiles  # never through a link, never a special file

    try:
        if safefiles.lkind(path) == "directory":
            found = [p for p, kind in safefiles.walk(path, max_depth=1)
                     if kind == "file" and p[-1].endswith((".ipynb", ".py"))]
            if len(found) != 1:
                return None, tr(lang, "la carpeta tiene {n} archivos .ipynb/.py (se esperaba uno)",
                                n=len(found))
            path = os.path.join(path, found[0][0])
        text = safefiles.read_regular(path, 20 << 20).decode("utf-8", "replace")
    except safefiles.Refused as exc:
        return None, exc.text(lang)
    if path.endswith(".ipynb"):
        nb = json.loads(text)
        cells = []
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else src
                lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
                cells.append([f"celda {i + 1}", "\n".join(lines)])
        return cells, None
    return [[os.path.basename(path), text]], None


def load_cells(path, assignment=None, lang="es"):
    """(cells, notes, fatal) of a submission; notes and fatal in `lang`."""
    try:
        from autograder.intake.submission import load_submission
    except ImportError:
        cells, fatal = _fallback_cells(path, lang)
        return cells, [], fatal
    sub = load_submission(path, assignment, lang)
    fatal = getattr(sub, "fatal", None)
    return getattr(sub, "cells", None), list(getattr(sub, "notes", []) or []), fatal


def fmt_notes(notes, lang, limit=5):
    from autograder.text.student_notes import note_text
    return "\n".join(f"  - {note_text(lang, note)}" for note in list(notes)[:limit])
