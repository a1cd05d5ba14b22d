"""Autoevaluación: corre las pruebas públicas de tu cuaderno cuando quieras.

Las pruebas públicas son las celdas de comprobación visibles del cuaderno (las que dicen
"Comprobemos tu función..."). Este módulo no trae pruebas propias: las lee de tu cuaderno, así
que comprueba exactamente lo mismo que esas celdas. La nota final la dan pruebas ocultas, más
completas: que pasen las públicas es una buena señal, no una garantía.

Desde el cuaderno (usa tus definiciones tal como están en este momento):

    from cursocnn.selfcheck import check
    check("corr2d")        # las pruebas públicas de corr2d
    check()                # todas las del cuaderno

Desde una terminal, en la carpeta de la tarea (usa el cuaderno guardado en disco; solo ejecuta
las celdas que definen cosas, nunca las demostraciones ni los entrenamientos):

    python -m cursocnn.selfcheck                 # el cuaderno .ipynb de la carpeta actual
    python -m cursocnn.selfcheck ps1_corr2d.ipynb
    python -m pytest cursocnn/selfcheck.py -q    # lo mismo, con pytest

(Developer note: visible test cells are the nbgrader cells whose grade_id is "visible_<name>" or
"visible_<name>_<n>"; definitions are the setup/given/solution cells plus the import/def/class
statements of unmarked cells. The terminal path runs them in a subprocess.)
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import traceback
from contextlib import redirect_stdout
from pathlib import Path

__all__ = ["check", "validate", "run_public_checks", "find_notebook", "visible_cells", "main"]

ENV_NOTEBOOK = "CURSOCNN_NOTEBOOK"
_VISIBLE = re.compile(r"^visible_(?P<name>.+?)(?:_(?P<n>\d+))?$")
_TIMEOUT = float(os.environ.get("CURSOCNN_SELFCHECK_TIMEOUT", "600"))

OK, FAIL = "✔", "✘"


# ------------------------------------------------------------------ reading the notebook

def _load(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def visible_name(cell) -> str | None:
    """The object a visible test cell checks, from its grade_id (None if it is not one)."""
    if cell.get("cell_type") != "code":
        return None
    m = _VISIBLE.match(str(_meta(cell).get("grade_id", "")))
    return m.group("name") if m else None


def visible_cells(nb: dict, name: str | None = None) -> list[tuple[str, str, str]]:
    """[(object name, grade_id, source)] of the public test cells, in notebook order."""
    out = []
    for cell in nb.get("cells", []):
        obj = visible_name(cell)
        if obj is not None and (name is None or obj == name):
            out.append((obj, _meta(cell)["grade_id"], _source(cell)))
    return out


def find_notebook(notebook=None, name: str | None = None) -> Path | None:
    """The notebook whose public tests to run: the argument, $CURSOCNN_NOTEBOOK, or the .ipynb
    of the current folder (or of the folder holding cursocnn/) with public tests (for `name`)."""
    if notebook:
        return Path(notebook)
    if os.environ.get(ENV_NOTEBOOK):
        return Path(os.environ[ENV_NOTEBOOK])
    folders = [Path.cwd(), Path(__file__).resolve().parent.parent]
    for folder in folders:
        found = []
        for path in sorted(folder.glob("*.ipynb")):
            try:
                if visible_cells(_load(path), name):
                    found.append(path)
            except (OSError, ValueError):
                continue
        if found:
            # several copies: the one edited last
            return max(found, key=lambda p: p.stat().st_mtime)
    return None


# ------------------------------------------------------------------ messages

def _explain(exc: BaseException, obj: str, where: str = "notebook") -> str:
    """A short Spanish explanation of why a public test failed. where: "notebook" (check() in
    Jupyter: the student can run cells) or "terminal" (the saved notebook was read from disk)."""
    if isinstance(exc, AssertionError):
        msg = str(exc).strip()
        return msg or "una comprobación no se cumplió (la celda de prueba no da más detalles)."
    if isinstance(exc, NotImplementedError):
        return (f"`{obj}` todavía no está implementada: la celda de tu solución conserva "
                "`raise NotImplementedError()`.")
    if isinstance(exc, NameError):
        if where == "terminal":
            return (f"falta un nombre ({exc}). En el cuaderno guardado no queda definido: revisa "
                    f"la celda de solución de `{obj}` y guarda el cuaderno (Ctrl+S) antes de "
                    "volver a probar.")
        return (f"falta un nombre ({exc}). ¿Ejecutaste la celda donde defines `{obj}` "
                "(y las celdas de arriba)?")
    place = ""
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        frame = tb[-1]
        if frame.line:
            place = f" (en `{frame.line.strip()}`)"
    return f"tu código lanzó {type(exc).__name__}: {exc}{place}"


def _report(results, *, stream=None) -> None:
    stream = stream or sys.stdout
    if not results:
        print("No encontré pruebas públicas para revisar.", file=stream)
        return
    said = set()
    for r in results:
        label = r["name"] if r["cell"] == f"visible_{r['name']}" else f"{r['name']} ({r['cell']})"
        if r["ok"]:
            print(f"{OK} {label}: pasa las pruebas públicas.", file=stream)
        elif (r["name"], r["message"]) in said:
            print(f"{FAIL} {label}: el mismo problema de arriba.", file=stream)
        else:
            said.add((r["name"], r["message"]))
            print(f"{FAIL} {label}: {r['message']}", file=stream)
    failed = sum(not r["ok"] for r in results)
    if failed:
        print(f"\n{failed} de {len(results)} celdas de prueba pública fallaron. Corrige tu código "
              "y vuelve a probar.", file=stream)
    else:
        print("\nTodo bien en las pruebas públicas. Recuerda que la nota final la dan pruebas "
              "ocultas más completas.", file=stream)


# ------------------------------------------------------------------ "implement it yourself"
# The same static rule the grader applies (cursocnn/implementation_check.py), on the cells the
# grader would load from the saved notebook: solution and setup cells whole, the imports and
# definitions of unmarked cells, never the test cells.

def _grader_cells(nb: dict) -> list:
    cells = []
    has_nbgrader = any(_meta(c) for c in nb.get("cells", []) if c.get("cell_type") == "code")
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = _meta(cell)
        lines = [ln if not ln.lstrip().startswith(("%", "!")) else
                 ln[: len(ln) - len(ln.lstrip())] + "pass" for ln in _source(cell).splitlines()]
        label = f"celda {i} ({meta['grade_id']})" if meta.get("grade_id") else f"celda {i}"
        if not has_nbgrader:
            cells.append([label, "\n".join(lines)])  # a plain notebook: the grader runs every cell
        elif meta.get("solution") or (meta.get("locked") and not meta.get("grade")
                                    and not str(meta.get("grade_id", "")).startswith("visible_")):
            cells.append([label, "\n".join(lines)])
        elif not meta:
            cells.append([label, "\n".join(lines), "definitions"])
    return cells


def _is_stub(node) -> bool:
    """A def whose body (docstring and `pass` aside) is only `raise NotImplementedError...`, or a
    class all of whose methods are such stubs: the release's placeholder, not an implementation."""
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return bool(methods) and all(_is_stub(m) for m in methods)
    body = [n for n in node.body if not isinstance(n, ast.Pass) and not (
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def unimplemented(nb: dict) -> set[str]:
    """The names whose last definition in the graded cells is still the release's stub."""
    last = {}
    for cell in _grader_cells(nb):
        try:
            tree = ast.parse(cell[1])
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                last[node.name] = _is_stub(node)
    return {n for n, stub in last.items() if stub}


def implementation_lines(nb: dict, name: str | None = None) -> list[str]:
    """One Spanish line per graded "implement it yourself" function of the notebook (or `name`);
    none for a function that is still the release's stub (its public tests already say so)."""
    try:
        from . import implementation_check as rule
    except ImportError:  # run as a loose file
        import implementation_check as rule
    analysis = rule.Analysis(_grader_cells(nb))
    stubs = unimplemented(nb)
    names = [n for n in rule.GUARDED if (name is None or n == name) and n not in stubs
             and any(n in u.binds for u in analysis.units)]
    out = []
    for n in names:
        verdict = analysis.verdict(n)
        if verdict.ok:
            out.append(f"{OK} {n}: la implementación es tuya (revisión del código, la misma del corrector).")
        else:
            out.append(f"{FAIL} {verdict.message('es')}")
    return out


# ------------------------------------------------------------------ from the notebook

def _hint_helpers() -> dict:
    """The names the visible cells use to explain a failure (cursocnn.hints), for a namespace
    whose notebook cell importing them was not run: a missing hint helper must never hide the
    failure it was to explain behind a NameError."""
    try:
        from . import hints
    except ImportError:  # run as a loose file
        try:
            import hints
        except ImportError:
            return {}
    return {"posible_causa": hints.posible_causa, "pista": hints.pista}


def _run_cell(obj, gid, source, ns, where="notebook") -> dict:
    for name, helper in _hint_helpers().items():
        ns.setdefault(name, helper)
    buf = io.StringIO()
    try:
        code = compile(source, f"<prueba pública {gid}>", "exec")
        with redirect_stdout(buf):
            exec(code, ns)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any failure of the student's code is reported
        return {"name": obj, "cell": gid, "ok": False, "message": _explain(exc, obj, where),
                "output": buf.getvalue()}
    return {"name": obj, "cell": gid, "ok": True, "message": "", "output": buf.getvalue()}


def checked_names(nb: dict) -> list[str]:
    """The objects with public tests in a notebook, in notebook order."""
    out = []
    for obj, _gid, _src in visible_cells(nb):
        if obj not in out:
            out.append(obj)
    return out


def unknown_name_message(name, nb: dict, label: str) -> str:
    """`name` has no public tests in this notebook: the valid names, and a close match."""
    import difflib

    names = checked_names(nb)
    if not names:
        return f"El cuaderno {label} no tiene pruebas públicas."
    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
    hint = f" ¿Quisiste decir `{close[0]}`?" if close else ""
    return (f"`{name}` no tiene pruebas públicas en {label}.{hint} Los nombres que puedes "
            f"revisar son: " + ", ".join(f"`{n}`" for n in names) + " (o `check()` para todos).")


def run_public_checks(name: str | None = None, namespace: dict | None = None, notebook=None) -> list[dict]:
    """Run the public test cells (of `name`, or all) against `namespace` (a copy of it: the
    caller's variables are left alone). Returns [{"name", "cell", "ok", "message", "output"}]."""
    path = find_notebook(notebook, name)
    if path is None and name is not None:
        other = find_notebook(notebook, None)
        if other is not None and other.is_file():
            raise LookupError(unknown_name_message(name, _load(other), other.name))
    if path is None:
        raise FileNotFoundError(
            "No encuentro el cuaderno con las pruebas públicas"
            + (f" de `{name}`" if name else "") + " en esta carpeta. Indica su ruta: "
            "check('corr2d', cuaderno='ps1_corr2d.ipynb').")
    nb = _load(path)
    cells = visible_cells(nb, name)
    if not cells:
        raise LookupError(unknown_name_message(name, nb, path.name))
    ns = dict(namespace if namespace is not None else {})
    ns.setdefault("__name__", "__main__")
    return [_run_cell(obj, gid, src, ns) for obj, gid, src in cells]


def check(name: str | None = None, cuaderno=None, *, notebook=None) -> None:
    """Corre las pruebas públicas de `name` (o todas) con tus definiciones actuales y muestra
    un resumen en español. No cambia tus variables."""
    caller = sys._getframe(1).f_globals
    try:
        results = run_public_checks(name, caller, cuaderno or notebook)
    except (FileNotFoundError, LookupError) as exc:
        print(f"{FAIL} {exc}")
        return None
    _report(results)
    try:
        for line in implementation_lines(_load(find_notebook(cuaderno or notebook, name)), name):
            print(line)
    except (OSError, ValueError, TypeError):
        pass  # the public checks above already said what is wrong with the notebook
    return None


# ------------------------------------------------------------------ nbgrader's Validate

VALIDATE_ENV = "NBGRADER_EXECUTION"     # nbgrader sets it to "validate" (Validate button, `nbgrader validate`)
_VALIDATE_WIDTH = 78


def _notebook_for_kernel(name: str, namespace: dict, notebook=None) -> Path | None:
    """The saved notebook this kernel is running: among the folder's notebooks with public tests
    of `name`, the one with most code cells in the kernel's input history (IPython's `In`);
    find_notebook's choice when that does not decide."""
    if notebook or os.environ.get(ENV_NOTEBOOK):
        return find_notebook(notebook, name)
    history = {str(src).strip() for src in namespace.get("In", []) or [] if str(src).strip()}
    best, best_hits = None, 0
    for path in sorted(Path.cwd().glob("*.ipynb")):
        try:
            nb = _load(path)
        except (OSError, ValueError):
            continue
        if not visible_cells(nb, name):
            continue
        hits = sum(_source(c).strip() in history for c in nb.get("cells", [])
                   if c.get("cell_type") == "code" and _source(c).strip())
        if hits > best_hits:
            best, best_hits = path, hits
    return best or find_notebook(None, name)


def validation_report(name: str, namespace: dict, notebook=None) -> tuple[bool, str]:
    """What Validate says about `name`: (passes, Spanish text). It passes when every public test
    cell of `name` runs without error on `namespace` (a copy) and the "implement it yourself"
    review of the saved notebook finds nothing."""
    path = _notebook_for_kernel(name, namespace, notebook)
    if path is None or not path.is_file():
        return False, (f"{FAIL} No encuentro el cuaderno con las pruebas públicas de `{name}` en "
                       f"esta carpeta ({Path.cwd()}).")
    nb = _load(path)
    out = io.StringIO()
    results = []
    if visible_cells(nb, name):
        results = run_public_checks(name, namespace, path)
        _report(results, stream=out)
    rule = implementation_lines(nb, name)
    for line in rule:
        print(line, file=out)
    ok = all(r["ok"] for r in results) and not any(line.startswith(FAIL) for line in rule)
    if not ok:
        print(f"\nValidate: `{name}` todavía no está lista para entregar.", file=out)
    # nbgrader validate cuts each line of the error at 90 columns: wrap them before that
    lines = [textwrap.fill(line, width=_VALIDATE_WIDTH, subsequent_indent="  ") if line else ""
             for line in out.getvalue().rstrip("\n").splitlines()]
    return ok, "\n".join(lines)


def validate(name: str, cuaderno=None) -> None:
    """La celda de calificación de `name` la llama. Solo actúa al validar con nbgrader (botón
    Validate o `nbgrader validate`): corre lo mismo que `check(name)` y, si algo falla, lo
    escribe en stderr, que es como nbgrader marca una celda de calificación como fallida (así
    Validate no dice "Success!" por error). Fuera de Validate (al correr el cuaderno, al
    calificar) no hace nada."""
    if os.environ.get(VALIDATE_ENV) != "validate":
        return None
    caller = sys._getframe(1).f_globals
    try:
        ok, text = validation_report(name, caller, cuaderno)
    except (OSError, ValueError, LookupError) as exc:
        ok, text = False, f"{FAIL} {name}: no pude revisar el cuaderno ({exc})."
    print(text, file=sys.stdout if ok else sys.stderr)
    return None


# ------------------------------------------------------------------ from a terminal

def _without_magics(source: str) -> str:
    return "\n".join(ln if not ln.lstrip().startswith(("%", "!")) else
                     ln[: len(ln) - len(ln.lstrip())] + "pass" for ln in source.splitlines())


def _definition_parts(cell):
    """("whole", [source]) for setup/given/solution cells; ("demo", [statement, ...]) with the
    import/def/class statements of an unmarked (demo) cell; None for what must not run."""
    meta = _meta(cell)
    source = _without_magics(_source(cell))
    if meta.get("grade") and not meta.get("solution"):
        return None                                  # hidden-test cells (empty for students)
    if meta.get("solution") or meta.get("locked"):
        return "whole", [source]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "whole", [source]                     # let it fail where the student sees it
    keep = [ast.unparse(n) for n in tree.body if isinstance(
        n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return ("demo", keep) if keep else None


def _child(nb_path: str, out_path: str) -> None:
    """Subprocess: execute the notebook's definitions and public tests in order, write JSON.

    Like the grader's loader, demo cells contribute only their imports and definitions, each
    statement on its own. One that fails there (a helper whose default argument comes from a
    demo variable, say) is left out quietly: "demo_skipped", reported only if a test fails."""
    nb = _load(nb_path)
    folder = str(Path(nb_path).resolve().parent)
    os.chdir(folder)
    sys.path.insert(0, folder)
    os.environ.setdefault("CNN_QUICK", "1")
    try:
        import matplotlib
        matplotlib.use("Agg")
    except Exception:  # noqa: BLE001 - matplotlib is optional here
        pass
    ns = {"__name__": "__main__"}
    results, setup_errors, demo_skipped = [], [], []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        obj = visible_name(cell)
        if obj is not None:
            results.append(_run_cell(obj, _meta(cell)["grade_id"], _source(cell), ns, "terminal"))
            continue
        parts = _definition_parts(cell)
        if not parts:
            continue
        kind, chunks = parts
        for chunk in chunks:
            try:
                with redirect_stdout(io.StringIO()):
                    exec(compile(chunk, f"<celda {i + 1}>", "exec"), ns)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001
                label = _meta(cell).get("grade_id") or f"celda {i + 1}"
                if kind == "whole":
                    setup_errors.append(f"{label}: {type(exc).__name__}: {exc}")
                else:
                    demo_skipped.append(f"{label}: {type(exc).__name__}: {exc}")
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"results": results, "setup_errors": setup_errors,
                   "demo_skipped": demo_skipped}, fh, ensure_ascii=False)


def run_notebook_checks(notebook) -> dict:
    """Run a saved notebook's definitions and public tests in a fresh Python process.
    Returns {"results": [...], "setup_errors": [...], "crash": str or None}."""
    notebook = Path(notebook).resolve()
    kit_parent = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix="cursocnn-") as tmp:
        out = os.path.join(tmp, "res.json")
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from cursocnn.selfcheck import _child; _child(sys.argv[2], sys.argv[3])")
        try:
            proc = subprocess.run([sys.executable, "-c", code, kit_parent, str(notebook), out],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            return {"results": [], "setup_errors": [],
                    "crash": f"tu cuaderno tardó más de {_TIMEOUT:g} s en correr las pruebas."}
        if not os.path.exists(out):
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
            return {"results": [], "setup_errors": [],
                    "crash": "el proceso que corre tu cuaderno terminó antes de tiempo "
                             f"(código {proc.returncode}). " + " / ".join(tail)}
        data = _load(out)
    data["crash"] = None
    return data


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    path = find_notebook(argv[0] if argv else None)
    if path is None or not path.is_file():
        print(f"{FAIL} No encuentro el cuaderno. Uso: python -m cursocnn.selfcheck [cuaderno.ipynb]")
        return 2
    print(f"Pruebas públicas de {path.name}:\n")
    data = run_notebook_checks(path)
    if data["crash"]:
        print(f"{FAIL} {data['crash']}")
        return 1
    for err in data["setup_errors"]:
        print(f"! Aviso: una celda de definiciones falló ({err}).")
    _report(data["results"])
    rule_lines = implementation_lines(_load(path))
    for line in rule_lines:
        print(line)
    rule_ok = not any(line.startswith(FAIL) for line in rule_lines)
    _demo_note(data)
    return 0 if data["results"] and all(r["ok"] for r in data["results"]) and rule_ok else 1


def _demo_note(data, stream=None) -> None:
    """Demo cells whose definitions could not run are normal (they use variables of other
    demos); mention them only when a test failed, as a possible cause, never as an alarm."""
    skipped = data.get("demo_skipped") or []
    if skipped and any(not r["ok"] for r in data.get("results", [])):
        print("\nNota: desde la terminal no se ejecutan las demostraciones del cuaderno, así que "
              "algunas definiciones suyas quedaron sin ejecutar (" + "; ".join(skipped[:3])
              + (" …" if len(skipped) > 3 else "") + "). Si una prueba necesita algo de ahí, "
              "muévelo a tu celda de solución.", file=stream or sys.stdout)


# ------------------------------------------------------------------ pytest (python -m pytest cursocnn/selfcheck.py)

_PYTEST_CACHE: dict = {}


def pytest_generate_tests(metafunc):
    if "celda_publica" not in metafunc.fixturenames:
        return
    path = find_notebook()
    cells = visible_cells(_load(path)) if path is not None and path.is_file() else []
    params = [(str(path), gid) for _obj, gid, _src in cells] or [(None, None)]
    metafunc.parametrize("celda_publica", params, ids=[p[1] or "sin_cuaderno" for p in params])


def test_prueba_publica(celda_publica):
    import pytest
    path, gid = celda_publica
    if path is None:
        pytest.fail("No encuentro el cuaderno con pruebas públicas: corre pytest desde la carpeta "
                    f"de la tarea o define {ENV_NOTEBOOK}.", pytrace=False)
    if path not in _PYTEST_CACHE:
        _PYTEST_CACHE[path] = run_notebook_checks(path)
    data = _PYTEST_CACHE[path]
    if data["crash"]:
        pytest.fail(data["crash"], pytrace=False)
    result = next((r for r in data["results"] if r["cell"] == gid), None)
    if result is None:
        pytest.fail(f"la celda {gid} no llegó a ejecutarse.", pytrace=False)
    if not result["ok"]:
        pytest.fail(f"{result['name']}: {result['message']}", pytrace=False)


if __name__ == "__main__":
    sys.exit(main())
