"""Execute the student's cells statement by statement, running only what defines things.

Runs: imports, function and class definitions, assignments (plain, annotated, augmented),
`try` blocks and `if` blocks other than `if __name__ == "__main__":` (constants chosen by a
condition, optional imports). Skips: expression statements (demo calls, prints, plots),
loops, `with` blocks, `if __name__ == "__main__":` and anything else. Each statement that runs
has a time budget (SIGALRM); one that raises or overruns is abandoned with a note, and loading
goes on with the next statement.

Notes are [code, detail] pairs; details are Spanish, for the student.
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


_SKIP_WORDS = {
    ast.Expr: "una expresión (llamada, print o gráfico)",
    ast.For: "un bucle for", ast.AsyncFor: "un bucle for",
    ast.While: "un bucle while",
    ast.With: "un bloque with", ast.AsyncWith: "un bloque with",
}


def _describe(node):
    return _SKIP_WORDS.get(type(node), type(node).__name__)


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
            where = line + first_line - 1 if isinstance(line, int) else "?"
            notes.append(["syntax_error", f"{label}: línea {where}: {getattr(exc, 'msg', exc)}"])
            continue
        except (RecursionError, MemoryError):
            notes.append(["too_deep", f"{label}: el código está anidado demasiado profundo; se ignoró."])
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
                    skipped.setdefault(label, []).append(f"línea {node.lineno}: {_describe(node)}")
                continue
            try:
                code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
            except (RecursionError, MemoryError, SyntaxError, ValueError):
                notes.append(["too_deep", f"{label}, línea {node.lineno}: no se pudo compilar "
                              "(¿anidado demasiado profundo?); se ignoró."])
                continue
            try:
                _run(code, ns, IMPORT_BUDGET if kind == "import" else budget)
            except LoadTimeout:
                notes.append(["timeout", f"{label}, línea {node.lineno}: tardó más de "
                              f"{IMPORT_BUDGET if kind == 'import' else budget:g} s y se abandonó. "
                              "Deja el entrenamiento y las pruebas fuera de las celdas de definición."])
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                try:
                    msg = str(exc)[:300]
                except BaseException:  # noqa: BLE001
                    msg = "?"
                notes.append(["exec_error", f"{label}, línea {node.lineno}: {type(exc).__name__}: {msg}"])
    for label, what in skipped.items():
        shown = "; ".join(what[:4]) + (" …" if len(what) > 4 else "")
        notes.append(["skipped", f"{label}: no se ejecutó al corregir ({shown})."])
    defined = {k for k in ns if k not in before and not k.startswith("__")}
    return defined, notes
