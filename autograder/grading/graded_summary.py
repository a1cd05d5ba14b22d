"""The top-level line of a result where nothing could be graded: no graded name was found, or
every graded name has parameters the contract's calls cannot use.

Gradescope and the class page show a result's top-level `output` first; a 0 whose reason is only
repeated inside each test explains nothing. Decided from the source the grader loaded (`ast`
only, linear in the cells) against the reference solution's signatures, and written in the
student's language, naming what was expected.
"""
from __future__ import annotations

import ast
import importlib.util

from autograder.text.i18n import tr

from . import scoring


def expected_signatures(assignment: str) -> dict[str, ast.arguments]:
    """{graded name: its parameters} in reference/<assignment>.py (a class: its __init__)."""
    spec = importlib.util.find_spec(f"reference.{assignment}")
    if spec is None or not spec.origin:
        return {}
    with open(spec.origin, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    return {name: args for name, args in _signatures(tree.body).items()
            if name in scoring.POINTS.get(assignment, {})}


def _signatures(body) -> dict[str, ast.arguments | None]:
    """{top-level name: parameters} (None: defined, but not by a def/class we can read)."""
    out: dict[str, ast.arguments | None] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = node.args
        elif isinstance(node, ast.ClassDef):
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            out[node.name] = _without_self(init.args) if init else None
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update({t.id: None for t in targets if isinstance(t, ast.Name)})
        elif isinstance(node, (ast.If, ast.Try)):
            out.update(_signatures(node.body))
    return out


def _without_self(args: ast.arguments) -> ast.arguments:
    positional = list(args.posonlyargs) + list(args.args)
    return ast.arguments(posonlyargs=[], args=positional[1:], vararg=args.vararg,
                         kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults, kwarg=args.kwarg,
                         defaults=args.defaults[-len(positional[1:]):] if positional[1:] else [])


def _accepts(student: ast.arguments | None, expected: ast.arguments) -> bool:
    """Can a def with `student`'s parameters take every call the contract makes (positional
    arguments up to the reference's count, none of its defaults required)?"""
    if student is None:
        return True  # a callable made some other way: the tests tell
    positional = len(student.posonlyargs) + len(student.args)
    required = positional - len(student.defaults)
    wanted = len(expected.posonlyargs) + len(expected.args)
    wanted_required = wanted - len(expected.defaults)
    takes_all = student.vararg is not None or positional >= wanted
    kw_required = [a for a, d in zip(student.kwonlyargs, student.kw_defaults) if d is None]
    return takes_all and required <= wanted_required and not kw_required


def _shown(name: str, args: ast.arguments | None) -> str:
    return f"{name}({ast.unparse(args)})" if args is not None else name


def nothing_graded_summary(assignment: str, cells, lang: str = "es") -> str | None:
    """The result's top-level line when no graded object could be tried, else None."""
    expected = expected_signatures(assignment)
    if not expected:
        return None
    found: dict[str, ast.arguments | None] = {}
    unreadable = 0
    for cell in cells or []:
        try:
            found.update(_signatures(ast.parse(str(cell[1])).body))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            unreadable += 1
    wanted = ", ".join(_shown(n, a) for n, a in expected.items())
    present = [n for n in expected if n in found]
    if not present and unreadable:
        return tr(lang, "No pudimos leer tu código: {n} celda(s) o bloque(s) tienen errores de "
                        "sintaxis, y en el resto no están las funciones o clases que se califican. "
                        "Corrige esos errores (las notas dicen dónde). Se esperaba: {wanted}.",
                  n=unreadable, wanted=wanted)
    if not present:
        return tr(lang, "No encontramos en tu entrega ninguna de las funciones o clases que se "
                        "califican en {assignment}. Se esperaba: {wanted}. ¿Entregaste el cuaderno "
                        "de esta tarea, con esos nombres exactos?", assignment=assignment, wanted=wanted)
    wrong = [n for n in present if not _accepts(found[n], expected[n])]
    if len(wrong) == len(present):
        got = ", ".join(_shown(n, found[n]) for n in wrong)
        return tr(lang, "Encontramos {got}, pero con parámetros distintos de los del enunciado, así "
                        "que ninguna prueba pudo llamarlas. Se esperaba: {wanted}.", got=got, wanted=wanted)
    return None
