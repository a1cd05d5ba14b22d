"""Build the nbgrader source notebooks from assignments/notebooks/<id>.py and reference/<id>.py.

Usage (from anywhere):

    python assignments/build_notebooks.py            # (re)write every source notebook + kit links
    python assignments/build_notebooks.py --check    # exit 1 if anything on disk differs (drift)
    python assignments/build_notebooks.py ps1_corr2d # only the named assignments
    python build_notebooks.py --reference ../soluciones   # a course folder copied elsewhere

The solutions come from reference/ next to this folder (ROOT/reference) unless --reference PATH
names another folder; without them the builder says so in one line (exit 2).

Input: jupytext's percent format (one file per assignment, Spanish prose), read with jupytext,
so an instructor can also open and edit it as a notebook in Jupyter (docs/instructors.md). The
title jupytext reads after "# %%" is the cell's role for nbgrader:

    # %% [markdown]              markdown cell (jupytext uncomments its "# " lines)
    # %% answer NAME [POINTS] [markdown]   (or "# %% [markdown] answer NAME [POINTS]")
                                 manually graded answer cell (grade_id "answer_NAME", POINTS
                                 default 0); the builder writes the nbgrader text stub as body
    # %% setup                   locked code cell (grade_id "setup", "setup_2", ...): imports and
                                 given code only
    # %% given NAME [NAME ...]   locked code cell (grade_id "given_NAME"); body = verbatim source
                                 of the named objects in reference/<id>.py (must be left empty)
    # %% solution NAME [NAME ...]
                                 nbgrader solution cell (grade_id "sol_NAME"); body = verbatim
                                 source of the named reference objects (must be left empty)
    # %% visible NAME            locked, ungraded test cell (grade_id "visible_NAME", "_2" ...)
    # %% grade NAME              autograded test cell (grade_id "test_NAME"), points =
                                 autograder.grading.scoring.POINTS[id][NAME]; body = the Validate call
                                 (cursocnn.selfcheck.validate) and the hidden-test hook
                                 (must be left empty)
    # %%                         plain code cell, no nbgrader metadata

Leading and trailing blank lines of each cell are dropped. A first cell of comment lines only
(the file's note to its authors, before the first "# %%" or, once jupytext has saved the file,
right after it) is not built. Other metadata jupytext keeps (tags, its own keys) is not copied.

Outputs: assignments/source/<id>/<id>.ipynb (nbformat 4.5, deterministic cell ids, no
outputs), the same notebook as examples/<id>/perfecta.ipynb (a real copy: the grader refuses
links inside submissions) and assignments/source/<id>/cursocnn/<file>.py, relative *file* symlinks to
assignments/cursocnn/<file>.py (nbgrader's copy walks directories without following directory
symlinks, but shutil.copy follows file symlinks, so the release gets real files).
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent          # assignments/
ROOT = HERE.parent                              # repository root
NOTEBOOKS = HERE / "notebooks"
SOURCE = HERE / "source"
KIT = HERE / "cursocnn"
REFERENCE = ROOT / "reference"
EXAMPLES = ROOT / "examples"                    # examples/<id>/perfecta.ipynb: a copy of the source notebook

if str(ROOT) not in sys.path:  # so `autograder.grading.scoring` imports when run as a script
    sys.path.insert(0, str(ROOT))

try:
    from autograder.grading.scoring import POINTS
except ImportError:  # a course folder copied without the grader: main() explains
    POINTS = None

# The part of a grade cell students see: under nbgrader's Validate it runs what check(NAME) runs
# and fails the cell on stderr (cursocnn.selfcheck.validate); elsewhere it does nothing.
VALIDATE_TEMPLATE = (
    "# Al validar (botón Validate o `nbgrader validate`) esta celda corre lo mismo que\n"
    "# check({name!r}); la nota la dan las pruebas ocultas del corrector.\n"
    "from cursocnn.selfcheck import validate\n"
    "validate({name!r})\n"
)
HIDDEN_TEMPLATE = (
    "### BEGIN HIDDEN TESTS\n"
    "from autograder.nbgrader_hook import hidden_score\n"
    "hidden_score({assignment!r}, {name!r})\n"
    "### END HIDDEN TESTS"
)
# Keep in sync with ClearSolutions.text_stub in nbgrader_config.py.
ANSWER_STUB = "TU RESPUESTA AQUÍ"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

_KINDS_WITH_NAMES = {"given", "solution", "visible", "grade"}


class FormatError(ValueError):
    """The notebook source breaks the format described in this module's docstring."""


@dataclass
class SourceCell:
    """One cell of a notebook source, with the role its "# %%" title gives it."""
    kind: str                   # markdown, answer, setup, given, solution, visible, grade, code
    names: list[str] = field(default_factory=list)
    points: float | None = None
    source: str = ""            # without leading and trailing blank lines
    where: str = ""             # for error messages: file, cell number and title


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def assignment_ids() -> list[str]:
    """Every assignment with a notebook source, in the order of autograder.grading.scoring.POINTS."""
    present = {p.stem for p in NOTEBOOKS.glob("*.py")}
    unknown = present - set(POINTS)
    if unknown:
        raise FormatError(f"notebook sources for unknown assignments: {sorted(unknown)}")
    return [a for a in POINTS if a in present]


def source_cells(text: str, where: str = "<source>") -> list[SourceCell]:
    """The cells of a percent-format source as jupytext reads them, each with its role."""
    cells = jupytext.reads(text, fmt="py:percent").cells
    if cells and _is_authors_note(cells[0]):
        cells = cells[1:]
    out = []
    for number, cell in enumerate(cells, 1):
        title = cell.metadata.get("title", "")
        loc = f"{where}: cell {number}" + (f" ('# %% {title}')" if title else "")
        raw = _role(cell.cell_type, title.split(), loc)
        raw.source, raw.where = _strip_blank(cell.source), loc
        out.append(raw)
    return out


def _is_authors_note(cell) -> bool:
    lines = cell.source.splitlines()
    return (cell.cell_type == "code" and not cell.metadata.get("title") and bool(lines)
            and all(line.startswith("#") for line in lines))


def _role(cell_type: str, words: list[str], where: str) -> SourceCell:
    if cell_type == "markdown":
        if not words:
            return SourceCell("markdown")
        if words[0] != "answer" or len(words) not in (2, 3):
            raise FormatError(f"{where}: expected '# %% answer NAME [POINTS] [markdown]'")
        points = float(words[2]) if len(words) == 3 else 0.0
        return SourceCell("answer", [words[1]], points=points)
    if cell_type != "code":
        raise FormatError(f"{where}: {cell_type} cells are not supported")
    if not words:
        return SourceCell("code")
    kind, names = words[0], words[1:]
    if kind == "setup":
        if names:
            raise FormatError(f"{where}: 'setup' takes no names")
        return SourceCell("setup")
    if kind not in _KINDS_WITH_NAMES:
        raise FormatError(f"{where}: unknown cell directive {kind!r}")
    if not names:
        raise FormatError(f"{where}: {kind!r} needs at least one name")
    if kind in ("visible", "grade") and len(names) != 1:
        raise FormatError(f"{where}: {kind!r} takes exactly one name")
    for n in names:
        if not n.isidentifier():
            raise FormatError(f"{where}: {n!r} is not a Python identifier")
    return SourceCell(kind, names)


def _strip_blank(source: str) -> str:
    lines = source.splitlines()
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def reference_sources(assignment: str) -> dict[str, str]:
    """Verbatim source (decorators, docstring and solution markers included) of every top-level
    function and class of reference/<assignment>.py, by name."""
    path = REFERENCE / f"{assignment}.py"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = {}
    for node in ast.parse(text, str(path)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = node.end_lineno
            # ast ends a body at its last statement: keep the comment lines that follow it
            # inside the block (the closing `### END SOLUTION` above all)
            while end < len(lines) and lines[end].strip().startswith("#") and \
                    len(lines[end]) - len(lines[end].lstrip()) > node.col_offset:
                end += 1
            out[node.name] = "\n".join(lines[start - 1:end])
    return out


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def build_notebook(assignment: str, text: str | None = None) -> nbformat.NotebookNode:
    """The source notebook of `assignment` as an nbformat v4 notebook (not written)."""
    where = f"assignments/notebooks/{assignment}.py"
    if text is None:
        text = (NOTEBOOKS / f"{assignment}.py").read_text(encoding="utf-8")
    refs = reference_sources(assignment)
    points = POINTS[assignment]
    used_ids: set[str] = set()
    graded: set[str] = set()
    solved: set[str] = set()
    cells = []

    def unique(grade_id: str) -> str:
        gid, n = grade_id, 1
        while gid in used_ids:
            n += 1
            gid = f"{grade_id}_{n}"
        used_ids.add(gid)
        return gid

    def ref(names: list[str], loc: str, kind: str) -> str:
        missing = [n for n in names if n not in refs]
        if missing:
            raise FormatError(f"{loc}: reference/{assignment}.py does not define {missing}")
        body = "\n\n\n".join(refs[n] for n in names)
        has_markers = "### BEGIN SOLUTION" in body
        if kind == "solution" and not has_markers:
            raise FormatError(f"{loc}: solution objects {names} have no '### BEGIN SOLUTION'")
        if kind == "given" and has_markers:
            raise FormatError(f"{loc}: given objects {names} contain solution markers")
        return body

    for raw in source_cells(text, where):
        loc, body = raw.where, raw.source
        if raw.kind in ("given", "solution", "grade", "answer") and body:
            raise FormatError(f"{loc}: a {raw.kind!r} cell is filled by the builder; leave it empty")
        if raw.kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(body)
        elif raw.kind == "answer":
            gid = unique(f"answer_{raw.names[0]}")
            cell = nbformat.v4.new_markdown_cell(
                ANSWER_STUB, metadata=_meta(gid, grade=True, solution=True, points=raw.points))
        elif raw.kind == "code":
            if not body:
                raise FormatError(f"{loc}: empty code cell")
            cell = nbformat.v4.new_code_cell(body)
        elif raw.kind == "setup":
            cell = nbformat.v4.new_code_cell(body, metadata=_meta(unique("setup"), locked=True))
        elif raw.kind == "given":
            cell = nbformat.v4.new_code_cell(
                ref(raw.names, loc, "given"), metadata=_meta(unique(f"given_{raw.names[0]}"), locked=True))
        elif raw.kind == "solution":
            solved.update(raw.names)
            cell = nbformat.v4.new_code_cell(
                ref(raw.names, loc, "solution"), metadata=_meta(unique(f"sol_{raw.names[0]}"), solution=True))
        elif raw.kind == "visible":
            if not body:
                raise FormatError(f"{loc}: empty visible test cell")
            cell = nbformat.v4.new_code_cell(
                body, metadata=_meta(unique(f"visible_{raw.names[0]}"), locked=True))
        elif raw.kind == "grade":
            name = raw.names[0]
            if name not in points:
                raise FormatError(f"{loc}: {name!r} is not graded in {assignment} (autograder.grading.scoring)")
            if name in graded:
                raise FormatError(f"{loc}: {name!r} has two grade cells")
            graded.add(name)
            cell = nbformat.v4.new_code_cell(
                VALIDATE_TEMPLATE.format(name=name) + HIDDEN_TEMPLATE.format(assignment=assignment, name=name),
                metadata=_meta(unique(f"test_{name}"), grade=True, locked=True, points=points[name]))
        else:  # pragma: no cover - source_cells only yields the kinds above
            raise AssertionError(raw.kind)
        cells.append(cell)

    missing = set(points) - graded
    if missing:
        raise FormatError(f"{where}: no grade cell for {sorted(missing)}")
    unsolved = set(points) - solved
    if unsolved:
        raise FormatError(f"{where}: no solution cell for {sorted(unsolved)}")

    for i, cell in enumerate(cells, 1):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = f"c{i:02d}-{gid or cell.cell_type}".replace("_", "-")[:64]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def kit_files() -> list[str]:
    return sorted(p.name for p in KIT.glob("*.py"))


def kit_link_target(name: str) -> str:
    return os.path.join("..", "..", "..", "cursocnn", name)


def build(assignments: list[str] | None = None, *, check: bool = False) -> list[str]:
    """Write (or, with check=True, only compare) the source notebooks and kit links.
    Returns the list of problems found (check) or paths written."""
    report = []
    for assignment in assignments or assignment_ids():
        target_dir = SOURCE / assignment
        want = render(build_notebook(assignment))
        # the perfect example is a real file (the grader never follows a link in a submission)
        paths = [target_dir / f"{assignment}.ipynb"]
        if (ROOT / "examples").is_dir():  # a course folder copied out of the repo has no examples
            paths.append(EXAMPLES / assignment / "perfecta.ipynb")
        for nb_path in paths:
            report += _sync_file(nb_path, want, check=check)
        report += _sync_kit(target_dir / "cursocnn", check=check)
    return report


def _sync_file(path: Path, want: str, *, check: bool) -> list[str]:
    """Make path a regular file holding want (or, with check, report that it is not)."""
    have = None
    if path.is_file() and not path.is_symlink():
        have = path.read_text(encoding="utf-8")
    if have == want:
        return []
    if check:
        what = "is a symlink, not a file" if path.is_symlink() else "differs from what the builder produces"
        return [f"{_rel(path)} {what}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    path.write_text(want, encoding="utf-8")
    return [_rel(path)]


def _sync_kit(kit_dir: Path, *, check: bool) -> list[str]:
    report = []
    wanted = {name: kit_link_target(name) for name in kit_files()}
    existing = {p.name: p for p in kit_dir.iterdir()} if kit_dir.is_dir() else {}
    for name, path in existing.items():
        if name == "__pycache__":
            continue
        if name not in wanted:
            if check:
                report.append(f"{_rel(path)} is not in the kit")
            else:
                path.unlink()
                report.append(f"removed {_rel(path)}")
    for name, target in wanted.items():
        path = kit_dir / name
        if path.is_symlink() and os.readlink(path) == target:
            continue
        if check:
            report.append(f"{_rel(path)} should be a symlink to {target}")
            continue
        kit_dir.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(target)
        report.append(f"linked {_rel(path)} -> {target}")
    return report


def _missing_inputs(args) -> str | None:
    """One Spanish/English line saying what a copied course folder lacks (None: all there)."""
    global REFERENCE
    if POINTS is None:
        return ("no se puede importar autograder (autograder/grading/scoring.py): instala el corrector "
                "(pip install -e .) o copia el curso con su carpeta autograder/ / the grader "
                "package autograder is not importable: install it or copy it along")
    if args.reference:
        REFERENCE = Path(args.reference).expanduser().resolve()
    wanted = args.assignments or [p.stem for p in sorted(NOTEBOOKS.glob("*.py"))]
    absent = [a for a in wanted if not (REFERENCE / f"{a}.py").is_file()]
    if absent:
        where = REFERENCE if args.reference else f"{REFERENCE} (reference/ junto a {HERE.name}/)"
        return (f"faltan las soluciones {', '.join(f'{a}.py' for a in absent)} en {where}: "
                "copia reference/ al lado de esta carpeta o indica --reference RUTA / reference "
                "solutions not found: put reference/ next to this folder or pass --reference PATH")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all present)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any notebook or kit link would change")
    parser.add_argument("--reference", metavar="PATH", default=None,
                        help="folder with the reference solutions <id>.py (default: "
                             "reference/ next to this folder)")
    args = parser.parse_args(argv)
    problem = _missing_inputs(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        report = build(args.assignments or None, check=args.check)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: falta / missing {exc.filename or exc}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    if args.check:
        if report:
            print("drift: run `python assignments/build_notebooks.py`", file=sys.stderr)
            return 1
        print("notebooks up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
