"""Execute the student's cells statement by statement, running only what defines things.

Runs: imports, function and class definitions, assignments (plain, annotated, augmented),
`try` blocks and `if` blocks other than `if __name__ == "__main__":` (constants chosen by a
condition, optional imports). Skips: expression statements (demo calls, prints, plots),
loops, `with` blocks, `if __name__ == "__main__":` and anything else. Each statement that runs
has a time budget (SIGALRM); one that raises or overruns is abandoned with a note, and loading
goes on with the next statement.

Notes are [code, fields] pairs of plain data (no text: this runs in the sandbox); the trusted
side renders them for the student (autograder/text/student_notes.py). Codes and their fields:
  syntax_error {label, line (None: unknown), message}   too_deep {label(, line)}
  timeout {label, line, seconds}   exec_error {label, line, type, message}
  skipped {label, items: [[line, what], ...] (at most 4), more: int}, `what` being one of
  SKIPPED_KINDS' values or a statement's class name
"""
import ast
import signal

STATEMENT_BUDGET = 2.0   # seconds for an assignment, a definition, an if/try block
IMPORT_BUDGET = 30.0     # importing torchvision or matplotlib cold can take a while


class LoadTimeout(BaseException):
    """Raised by the alarm inside a statement that takes too long."""


def _alarm(signum, frame):
    raise LoadTimeout()


def _is_main_guard(node):
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


def _kind(node):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "def"
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return "assign"
    if isinstance(node, ast.If):
        return "skip_main" if _is_main_guard(node) else "block"
    if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        return "block"
    if isinstance(node, (ast.Pass, ast.Global, ast.Nonlocal)):
        return "ignore"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return "ignore"  # docstring or a bare constant
    return "skip"


SKIPPED_KINDS = {
    ast.Expr: "expression",
    ast.For: "for", ast.AsyncFor: "for",
    ast.While: "while",
    ast.With: "with", ast.AsyncWith: "with",
}
SHOWN_SKIPPED = 4   # statements listed per cell in a "skipped" note


def _describe(node):
    return SKIPPED_KINDS.get(type(node), type(node).__name__)


def _run(code, ns, budget):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        exec(code, ns)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load_cells(cells, ns, *, only_definitions=False, budget=STATEMENT_BUDGET):
    """Run the cells in ns. Returns (set of defined names, notes).

    only_definitions: run imports and defs only (used to retry after a load that crashed).
    A cell given as [label, source, "definitions"] (a notebook's demo or added cell) runs its
    imports and definitions only, silently. A 4th element is the line of the file where the
    cell starts (a block of a .py): compiled code and notes use the file's line numbers."""
    notes = []
    before = set(ns)
    skipped = {}
    for cell in cells:
        label, source = str(cell[0]), str(cell[1])
        definitions_cell = len(cell) > 2 and cell[2] == "definitions"  # a demo or added cell
        first_line = cell[3] if len(cell) > 3 and type(cell[3]) is int and cell[3] > 0 else 1
        filename = f"<student:{label}>"
        try:
            tree = ast.parse(source, filename)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = line + first_line - 1 if isinstance(line, int) else None
            notes.append(["syntax_error", {"label": label, "line": where,
                                           "message": str(getattr(exc, "msg", exc))}])
            continue
        except (RecursionError, MemoryError):
            notes.append(["too_deep", {"label": label}])
            continue
        if first_line > 1:  # the cell is a block of a longer file: report the file's line numbers
            ast.increment_lineno(tree, first_line - 1)
        for node in tree.body:
            kind = _kind(node)
            if kind == "ignore":
                continue
            if kind in ("skip", "skip_main") or ((only_definitions or definitions_cell)
                                                 and kind not in ("import", "def")):
                if kind != "skip_main" and not definitions_cell:
                    skipped.setdefault(label, []).append([node.lineno, _describe(node)])
                continue
            try:
                code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
            except (RecursionError, MemoryError, SyntaxError, ValueError):
                notes.append(["too_deep", {"label": label, "line": node.lineno}])
                continue
            try:
                _run(code, ns, IMPORT_BUDGET if kind == "import" else budget)
            except LoadTimeout:
                notes.append(["timeout", {"label": label, "line": node.lineno,
                                          "seconds": IMPORT_BUDGET if kind == "import" else budget}])
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                try:
                    msg = str(exc)[:300]
                except BaseException:  # noqa: BLE001
                    msg = "?"
                notes.append(["exec_error", {"label": label, "line": node.lineno, "type": type(exc).__name__,
                                             "message": msg}])
    for label, items in skipped.items():
        notes.append(["skipped", {"label": label, "items": items[:SHOWN_SKIPPED],
                                  "more": max(0, len(items) - SHOWN_SKIPPED)}])
    defined = {k for k in ns if k not in before and not k.startswith("__")}
    return defined, notes
