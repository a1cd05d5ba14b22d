"""Execute the student's cells in a fresh namespace, recording what was defined and what failed.
(Minimal version: the sandbox issue refines which statements run.)"""


def load_cells(cells, ns):
    notes = []
    before = set(ns)
    for i, (label, source) in enumerate(cells):
        try:
            code = compile(source, f"<student:{label}>", "exec")
        except SyntaxError as exc:
            notes.append(["syntax_error", f"{label}: línea {exc.lineno}: {exc.msg}"])
            continue
        try:
            exec(code, ns)
        except BaseException as exc:
            notes.append(["exec_error", f"{label}: {type(exc).__name__}: {exc}"[:500]])
    defined = {k for k in ns if k not in before and not k.startswith("__")}
    return defined, notes
