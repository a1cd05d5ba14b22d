"""SUBMISSION path -> the student's code cells, with notes (in the run's language) on what was
skipped.

A submission is a notebook (.ipynb, as released by nbgrader and filled in), a .py file, or a
folder holding one of them. This module only *reads* files (it never runs student code: it
compiles cells to check their syntax, which executes nothing) and never raises on bad input:
problems become `notes` (something was skipped) or `fatal` (nothing can be graded). It reads
regular files only and never through a link (autograder/intake/safefiles.py).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from autograder.text.i18n import tr

from .notebook_outputs import NOTEBOOK_MAX_BYTES, without_outputs
from .safefiles import Refused, lkind, read_regular, read_under, walk

# Code: a .py, or a notebook's cells without their outputs. A notebook may be larger because of
# its outputs (plots), up to nbgrader's limit: it is read without them (notebook_outputs.py).
MAX_FILE_BYTES = 20 << 20

# Folders that never hold the student's work (the kit ships inside the released folder).
IGNORED_DIRS = {"cursocnn", "__pycache__", ".ipynb_checkpoints", ".git", "data", "datos"}

_CELL_MARKER = re.compile(r"^# ?%%")
# a line strip_ipython would change: a magic, a shell escape (also `x = !ls`), a help query
_IPYTHON_SYNTAX = re.compile(r"^[ \t]*[%!]|^[ \t]*[A-Za-z_][\w.]*\s*=\s*[!%]|\?[ \t]*$", re.MULTILINE)


@dataclass
class Submission:
    path: str
    kind: str = "unknown"            # "ipynb", "py", "folder:ipynb", "folder:py", "unknown"
    chosen: str | None = None        # the file actually read
    cells: list = field(default_factory=list)   # [[label, source(, mode(, first_line))], ...]
    notes: list = field(default_factory=list)   # messages for the student
    fatal: str | None = None         # message for the student when nothing can be graded
    lang: str | None = None          # language of notes and fatal (None: Spanish)

    @property
    def ok(self) -> bool:
        return self.fatal is None


# ---------------------------------------------------------------- source clean-up

def strip_ipython(source: str) -> tuple[str | None, list[str]]:
    """Remove IPython syntax from one cell. Returns (clean source or None to drop the cell,
    kinds of things removed). Line magics and shell lines become `pass` so indentation and
    line numbers stay valid."""
    if not _IPYTHON_SYNTAX.search(source):  # the usual case: nothing to strip, no per-line work
        return source, []
    removed = []
    lines = source.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith("%%"):
        return None, ["cell_magic"]
    out = []
    for ln in lines:
        stripped = ln.lstrip()
        indent = ln[: len(ln) - len(stripped)]
        if stripped.startswith("%") or stripped.startswith("!"):
            removed.append("magic" if stripped.startswith("%") else "shell")
            out.append(indent + "pass")
        elif re.match(r"^[A-Za-z_][\w.]*\s*=\s*[!%]", stripped):  # files = !ls, t = %timeit ...
            removed.append("shell")
            out.append(indent + "pass")
        elif stripped.endswith("?") and re.fullmatch(r"[\w.]+\?\??", stripped):  # help: torch.ones?
            removed.append("magic")
            out.append(indent + "pass")
        else:
            out.append(ln)
    return "\n".join(out) + ("\n" if source.endswith("\n") else ""), removed


MAX_PROBLEM_NOTES = 20  # a file with thousands of broken blocks gets a summary, not thousands of notes


def _check_syntax(label: str, source: str, first_line: int = 1, lang: str | None = None):
    """Return None if source compiles, else a note naming the cell. first_line: the line
    of the file where the cell starts (notes give the file's line numbers)."""
    try:
        compile(source, f"<student:{label}>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        where = (tr(lang, "línea {line}", line=exc.lineno + first_line - 1) if exc.lineno
                 else tr(lang, "posición desconocida"))
        shown = f": `{line[:80]}`" if line else ""
        return tr(lang, "{label}: error de sintaxis ({error}, {where}{shown}). "
                        "Se ignoró esa celda; revisa paréntesis, dos puntos e indentación.",
                  label=label, error=exc.msg, where=where, shown=shown)
    except (RecursionError, MemoryError):
        return tr(lang, "{label}: el código está anidado demasiado profundo para compilarlo. "
                        "Se ignoró esa celda.", label=label)
    except (ValueError, TypeError) as exc:  # e.g. null bytes in the source
        return tr(lang, "{label}: el código no se puede leer ({error}). Se ignoró esa celda.",
                  label=label, error=exc)
    return None


def _add_cells(sub: Submission, raw_cells):
    """raw_cells: [(label, source, mode[, first_line])]. Strip IPython syntax, drop empty and
    broken cells. mode "definitions" makes the worker run only the cell's imports and
    definitions. A cell is [label, source], [label, source, mode] or, when it does not start
    on line 1, [label, source, mode or None, first_line]."""
    magic_cells, shell_cells = [], []
    problems = 0
    for label, source, mode, *rest in raw_cells:
        first_line = rest[0] if rest else 1
        clean, removed = strip_ipython(source)
        if clean is None:
            sub.notes.append(tr(sub.lang, "{label}: es una celda con magia de IPython (%%...), no se "
                                          "ejecuta al corregir.", label=label))
            continue
        if "magic" in removed:
            magic_cells.append(label)
        if "shell" in removed:
            shell_cells.append(label)
        if not clean.strip():
            continue
        problem = _check_syntax(label, clean, first_line, sub.lang)
        if problem:
            problems += 1
            if problems <= MAX_PROBLEM_NOTES:
                sub.notes.append(problem)
            continue
        cell = [label, clean] + ([mode] if mode else [])
        if first_line != 1:
            cell = [label, clean, mode, first_line]
        sub.cells.append(cell)
    if problems > MAX_PROBLEM_NOTES:
        sub.notes.append(tr(sub.lang, "Se ignoraron además otras {n} celdas con errores de sintaxis.",
                            n=problems - MAX_PROBLEM_NOTES))
    if magic_cells:
        sub.notes.append(tr(sub.lang, "Se ignoraron las líneas con comandos mágicos de IPython (%...) "
                                      "en: {cells}.", cells=_first_ten(magic_cells)))
    if shell_cells:
        sub.notes.append(tr(sub.lang, "Se ignoraron los comandos de terminal (!...) en: {cells}.",
                            cells=_first_ten(shell_cells)))


def _first_ten(labels):
    return ", ".join(labels[:10]) + (" …" if len(labels) > 10 else "")


# ---------------------------------------------------------------- readers

def _decode_text(data: bytes, name: str, sub: Submission) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        sub.notes.append(tr(sub.lang, "«{name}» no está en UTF-8; se leyó como Latin-1. Guarda tus "
                                      "archivos en UTF-8 para evitar problemas con tildes y eñes.",
                            name=name))
        return data.decode("latin-1")


def _grade_id_label(index: int, cell, lang: str | None = None) -> str:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    gid = meta.get("grade_id")
    if gid:
        return tr(lang, "celda {index} ({grade_id})", index=index, grade_id=gid)
    return tr(lang, "celda {index}", index=index)


def _plain_v4(nb) -> bool:
    """True for a v4 notebook that nbformat's reader would only copy: every part it touches has
    the expected type. Anything else goes through nbformat, so odd files keep their messages."""
    if not (isinstance(nb, dict) and nb.get("nbformat") == 4 and isinstance(nb.get("metadata"), dict)
            and isinstance(nb.get("cells"), list)):
        return False
    for cell in nb["cells"]:
        if not (isinstance(cell, dict) and isinstance(cell.get("metadata"), dict)
                and isinstance(cell.get("attachments", {}), dict)
                and all(isinstance(a, dict) for a in cell.get("attachments", {}).values())):
            return False
        source = cell.get("source", "")
        if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(x, str) for x in source)):
            return False
        outputs = cell.get("outputs", []) if cell.get("cell_type") == "code" else []
        if not (isinstance(outputs, list) and all(
                isinstance(o, dict) and isinstance(o.get("data", {}), dict)
                and (not isinstance(o.get("text"), list) or all(isinstance(x, str) for x in o["text"]))
                for o in outputs)):
            return False
    return True


def _parse_notebook(text: str):
    """A v4 notebook as plain JSON (nbformat's reader adds nothing the grader reads, and its import
    plus schema validation cost seconds); nbformat's reader for anything else when installed (GPU
    machines often carry only torch: the grading core must not need Jupyter's packages for v4)."""
    try:
        nb = json.loads(text)
    except ValueError:
        nb = None
    if _plain_v4(nb):
        return nb, None
    try:
        import nbformat
    except ImportError:
        nb = json.loads(text)
        if not isinstance(nb, dict):
            raise ValueError("Notebook does not appear to be a JSON object")
        return nb, None
    return nbformat.reads(text, as_version=nbformat.NO_CONVERT), nbformat


def _read_notebook(data: bytes, name: str, sub: Submission):
    if not data.strip():
        sub.fatal = tr(sub.lang, "El cuaderno «{name}» está vacío (0 bytes). Guárdalo en Jupyter y "
                                 "vuelve a entregarlo.", name=name)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        nb, nbformat = _parse_notebook(text)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types on bad JSON
        sub.fatal = tr(sub.lang, "El cuaderno «{name}» no es un archivo .ipynb válido (JSON dañado: "
                                 "{error}). Ábrelo en Jupyter, guárdalo y vuelve a entregarlo.",
                       name=name,
                       error=str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)
        return
    try:
        major = int(nb.get("nbformat", 4))
        if major < 4:
            if nbformat is None:
                raise ValueError("nbformat is needed to read notebooks older than v4")
            nb = nbformat.convert(nb, 4)
            sub.notes.append(tr(sub.lang, "«{name}» usa un formato de cuaderno antiguo (v{major}); se "
                                          "convirtió a v4.", name=name, major=major))
        elif major > 4:
            sub.notes.append(tr(sub.lang, "«{name}» usa un formato de cuaderno más nuevo (v{major}); se "
                                          "leyó igualmente.", name=name, major=major))
        cells = list(nb.get("cells") or [])
    except Exception as exc:  # noqa: BLE001
        sub.fatal = tr(sub.lang, "No se pudo interpretar el cuaderno «{name}» ({error}). Vuelve a "
                                 "guardarlo en Jupyter.", name=name, error=type(exc).__name__)
        return

    code_cells = []
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            continue
        code_cells.append((i, cell, source))
    if not code_cells:
        sub.fatal = tr(sub.lang, "El cuaderno «{name}» no tiene celdas de código.", name=name)
        return

    has_nbgrader = any(isinstance((c.get("metadata") or {}).get("nbgrader"), dict) for _, c, _ in code_cells)
    raw = []
    for i, cell, source in code_cells:
        label = _grade_id_label(i, cell, sub.lang)
        if has_nbgrader:
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            grade_id = str(meta.get("grade_id", ""))
            if meta.get("solution"):
                raw.append((label, source, None))
            elif meta.get("locked") and not meta.get("grade") and not grade_id.startswith("visible_"):
                raw.append((label, source, None))  # setup and given code
            elif not meta:
                # demo cells and cells the student added: their helpers count, their demos do not run
                raw.append((label, source, "definitions"))
            # test cells (graded or visible) never run: the hidden suite does the testing
        else:
            raw.append((label, source, None))
    if not has_nbgrader:
        sub.notes.append(tr(sub.lang, "«{name}» no tiene los metadatos de nbgrader (¿copiaste el código "
                                      "en un cuaderno nuevo?); se usan todas sus celdas de código.",
                            name=name))
    _add_cells(sub, raw)


def _read_py(data: bytes, name: str, sub: Submission):
    if not data.strip():
        sub.fatal = tr(sub.lang, "El archivo «{name}» está vacío.", name=name)
        return
    text = _decode_text(data, name, sub)
    lines = text.splitlines(keepends=True)
    chunks, start = [], 0
    for n, ln in enumerate(lines):
        if n > start and _CELL_MARKER.match(ln):
            chunks.append((start, n))
            start = n
    chunks.append((start, len(lines)))
    if len(chunks) == 1:
        raw = [(name, text, None)]
    else:  # percent-format script: one cell per `# %%` block, so an error skips only its block;
        # each block carries its first line so tracebacks and notes give the file's line numbers
        raw = [(tr(sub.lang, "{name}, bloque de la línea {line}", name=name, line=a + 1),
                "".join(lines[a:b]), None, a + 1) for a, b in chunks]
    _add_cells(sub, raw)


# ---------------------------------------------------------------- folders

def is_candidate(name: str) -> bool:
    return name.endswith((".ipynb", ".py")) and not name.startswith(("__", "."))


def _pick(folder: str, assignment: str | None, sub: Submission):
    """The relative parts of the file to grade in folder, or None (sub.fatal says why).
    Links and special files are never candidates: each one that looks like a submission
    (or a linked folder) gets a note."""
    try:
        entries = walk(folder, skip_dir=lambda d: d in IGNORED_DIRS)
    except Refused as exc:
        sub.fatal = exc.text(sub.lang)
        return None
    found, refused = [], []
    for parts, kind in entries:
        if kind == "file" and is_candidate(parts[-1]):
            found.append((len(parts), parts))
        elif kind not in ("file", "directory") and (is_candidate(parts[-1]) or kind == "symlink"):
            refused.append(Refused(kind, "/".join(parts)).text(sub.lang))
    if not found:
        if refused:
            sub.fatal = " ".join(refused[:3])
        else:
            sub.fatal = tr(sub.lang, "La carpeta entregada no contiene ningún cuaderno (.ipynb) ni "
                                     "archivo .py. Entrega el cuaderno de la tarea.")
        return None
    sub.notes.extend(refused[:5])

    def rank(item):
        depth, parts = item
        stem, ext = os.path.splitext(parts[-1])
        return (0 if assignment and stem == assignment else 1, 0 if ext == ".ipynb" else 1,
                depth, parts)

    found.sort(key=rank)
    chosen = found[0][1]
    if len(found) > 1:
        others = ["/".join(p) for _, p in found[1:]]
        shown = ", ".join(f"«{o}»" for o in others[:5]) + (" …" if len(others) > 5 else "")
        sub.notes.append(tr(sub.lang, "La carpeta tiene varios archivos; se corrigió «{chosen}» y se "
                                      "ignoraron: {others}.", chosen="/".join(chosen), others=shown))
    return chosen


# ---------------------------------------------------------------- entry point

def _sniff_kind(name: str, data: bytes) -> str:
    ext = os.path.splitext(name)[1].lower()
    if ext in (".ipynb", ".py"):
        return ext[1:]
    return "ipynb" if data[:4096].lstrip().startswith(b"{") else "py"


def load_submission(path, assignment: str | None = None, lang: str | None = None) -> Submission:
    """Read a submission. Never raises on bad input: see Submission.fatal / .notes (in lang).

    path itself and everything below it are read without following links (a link, a FIFO or a
    device is refused with a note); resolve a path typed by the instructor before calling."""
    path = os.fspath(path)
    sub = Submission(path=path, lang=lang)
    try:
        kind = lkind(path)
        if kind == "missing":
            sub.fatal = tr(lang, "No se encontró la entrega «{path}».", path=path)
            return sub
        try:
            if kind == "directory":
                sub.kind = "folder"
                parts = _pick(path, assignment, sub)
                if parts is None:
                    return sub
                chosen, name = os.path.join(path, *parts), parts[-1]
                data = read_under(path, parts, NOTEBOOK_MAX_BYTES)
            else:
                chosen, name = path, os.path.basename(path)
                data = read_regular(path, NOTEBOOK_MAX_BYTES)
        except Refused as exc:
            sub.fatal = exc.text(lang)
            return sub
        inner = _sniff_kind(name, data)
        if len(data) > MAX_FILE_BYTES:  # only a notebook's outputs may make it that large
            if inner != "ipynb":
                sub.fatal = Refused("too_big", name, len(data)).text(lang)
                return sub
            stripped = without_outputs(data)
            if stripped is None:
                sub.fatal = tr(lang, "No se pudo leer el cuaderno «{name}»: no es un .ipynb válido o "
                                     "es demasiado grande para leerlo. Ábrelo en Jupyter, borra las "
                                     "salidas, guárdalo y vuelve a entregarlo.", name=name)
                return sub
            if len(stripped) > MAX_FILE_BYTES:  # the code itself is that large
                sub.fatal = Refused("too_big", name, len(stripped)).text(lang)
                return sub
            data = stripped
        if kind == "directory":
            sub.kind = f"folder:{inner}"
        else:
            sub.kind = inner
            if not name.lower().endswith((".ipynb", ".py")):
                read_as = tr(lang, "cuaderno") if inner == "ipynb" else tr(lang, "código Python")
                sub.notes.append(tr(lang, "«{name}» no termina en .ipynb ni .py; se leyó como {kind}.",
                                    name=name, kind=read_as))
        sub.chosen = chosen
        if inner == "ipynb":
            _read_notebook(data, name, sub)
        else:
            _read_py(data, name, sub)
        if sub.fatal is None and not sub.cells:
            sub.fatal = tr(lang, "No quedó ningún código para corregir (todas las celdas estaban vacías "
                                 "o tenían errores). Revisa tu entrega.")
    except Exception as exc:  # noqa: BLE001 - last resort: bad input must never crash the grader
        sub.fatal = tr(lang, "No se pudo leer la entrega ({error}). Vuelve a entregarla.",
                       error=type(exc).__name__)
    return sub
