"""¿Implementaste la operación tú mismo/a? Revisión estática del código fuente.

The "implement it yourself" rule of the course, decided from the SOURCE of a submission (standard
library `ast` only, nothing of the student's code is executed). The grader runs it on its trusted
side, in a child process with a time and memory cap (analyse_bounded); the student kit's
self-check runs the very same rule, so a student sees the same verdict before submitting.

    from cursocnn.implementation_check import Analysis, GUARDED
    analysis = Analysis(cells)                     # cells: [[label, source, (mode)], ...]
    verdict = analysis.verdict("corr2d", isolate=("corr2d_multi_in",))
    verdict.ok, verdict.kind, verdict.first.construct, verdict.message("es")

It is an ALLOW-LIST (cursocnn/allowlist.py, the one published list): the code reachable from a
graded object, and all code that runs when the worker loads the submission, may reach only the
listed builtins, torch/numpy/standard-library names and attributes, and the student's own
definitions, which are followed (never matched by name). Anything else is a finding:
- "forbidden": a library helper that does the job (F.conv2d, nn.MaxPool2d, F.unfold,
  numpy.correlate, scipy.signal, ...): named precisely;
- "unverifiable": anything else that is not on the list (a string turned into code or a name,
  getattr with a computed name, a module used as a value, private torch, other modules...).

What counts as code that runs mirrors autograder/sandboxed/worker/loader.py exactly: imports, definitions,
assignments, if/try blocks (not `if __name__ == "__main__":`, in a .py or a notebook alike);
only imports and definitions of a notebook's demo cells; a function's body runs at load when a
statement that runs at load refers to it (a call, a decorator, a default, ...). Unverifiable code
that runs at load affects every graded object (it could change anything); any code that runs at
load and touches a name a graded object reads joins that object's verdict.

Everything here is linear in the source: alias chains are resolved once per name with a bound on
their number and length (past it: "unverifiable"), and the closures are walks over an index.
"""
from __future__ import annotations

import ast
import json
import os
import sys
from dataclasses import asdict, dataclass, field


def _allowlist():
    """cursocnn/allowlist.py, imported as the package's module or by path (the grader loads this
    file by path, and runs it as a script in its bounded child)."""
    if __package__:
        from . import allowlist
        return allowlist
    import importlib.util

    name = "_implementation_check_allowlist"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowlist.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


A = _allowlist()
GUARDED = A.GUARDED

MAX_ALIAS_PATHS = 8     # dotted names one alias may stand for
MAX_PATH_PARTS = 12     # parts of one dotted name
_COUNTER_WORDS = ("settrace", "setprofile", "monitoring", "DisableTorchFunction", "TorchFunctionMode",
                  "TorchDispatchMode", "_python_dispatch", "overrides")


# ------------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class Finding:
    kind: str          # "forbidden" | "unverifiable"
    construct: str     # what the source says (with the resolved name when it differs)
    label: str         # the cell's label ("celda 3", "mi_tarea.py")
    line: int          # line inside that cell
    counter: bool = False      # hides work from the grader's work counter
    at_load: bool = False      # runs when the submission is loaded (taints every object)
    reason: str = ""           # why unverifiable: library, dynamic, module_value, import,
    #                            monkeypatch, escape, complex (wording and advice of the message)

    def where_es(self) -> str:
        return f"línea {self.line} de {self.label}" if self.label else f"línea {self.line}"

    def where_en(self) -> str:
        return f"line {self.line} of {self.label}" if self.label else f"line {self.line}"

    @property
    def tamper(self) -> bool:
        """Could reach the grader's worker, probes or pipes (not merely an unlisted library name)."""
        return self.kind == "unverifiable" and self.reason != "library"


@dataclass
class Verdict:
    name: str
    findings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def kind(self):
        """"forbidden" when any finding is, else "unverifiable" (None when ok)."""
        if not self.findings:
            return None
        return "forbidden" if any(f.kind == "forbidden" for f in self.findings) else "unverifiable"

    @property
    def first(self):
        """The finding to show first: a forbidden one if any."""
        if not self.findings:
            return None
        return next((f for f in self.findings if f.kind == "forbidden"), self.findings[0])

    def message(self, lang="es") -> str:
        """The student-facing explanation (Spanish, or English with lang="en")."""
        return describe(self, lang)


# ------------------------------------------------------------------------------------------
# Scopes and names.


def _param_names(args: ast.arguments):
    out = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    out += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return out


def _import_bindings(node):
    """[(bound name, dotted path, is a module)] of an import statement ("*" for a star import)."""
    out = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                out.append((a.asname, a.name, True))
            else:
                root = a.name.split(".")[0]
                out.append((root, root, True))
    elif isinstance(node, ast.ImportFrom):
        base = ("." * node.level) + (node.module or "")
        for a in node.names:
            path = f"{base}.{a.name}" if base else a.name
            out.append(("*" if a.name == "*" else (a.asname or a.name), base if a.name == "*" else path,
                        path in A.MODULES))
    return out


def _is_main_guard(node):
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
                ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _own_nodes(body_nodes):
    """Nodes of one scope: nested functions, classes, lambdas and comprehensions are yielded
    (their names bind here) but not entered."""
    roots = {id(n) for n in body_nodes}
    stack = list(body_nodes)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPE_NODES) and id(node) not in roots:
            continue
        stack.extend(ast.iter_child_nodes(node))


class _Scope:
    """Names local to a function, lambda or comprehension, and the local aliases of modules."""

    def __init__(self, node, parent):
        self.parent = parent
        self.locals, self.globals = set(), set()
        self.sources = {}   # local name -> [dotted path | expression] (imports and `a = b.c`)
        self.other = set()  # local names also bound some other way
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self.locals.update(_param_names(node.args))
            self.other.update(self.locals)
            body = node.body if isinstance(node.body, list) else [node.body]
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            body = [g.target for g in node.generators]
        else:
            body = node.body
        for n in _own_nodes(body):
            if isinstance(n, ast.Global):
                self.globals.update(n.names)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                self.locals.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.locals.add(n.name)
                self.other.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for name, path, _module in _import_bindings(n):
                    if name != "*":
                        self.locals.add(name)
                        self.sources.setdefault(name, []).append(path)
            elif isinstance(n, ast.ExceptHandler) and n.name:
                self.locals.add(n.name)
                self.other.add(n.name)
            elif isinstance(n, _BINDING_NODES):
                for name, expr in _simple_bindings(n):
                    if expr is None:
                        self.other.add(name)
                    else:
                        self.sources.setdefault(name, []).append(expr)
        self.locals -= self.globals


_BINDING_NODES = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With,
                  ast.AsyncWith, ast.NamedExpr, ast.comprehension)


def _simple_bindings(node):
    """[(name, expression or None)] bound by an assignment-like node: `a = b.c` gives (a, b.c)
    (an alias, resolved), anything else (a, None)."""
    out = []
    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
        for t in node.targets:
            if isinstance(t, ast.Name):
                out.append((t.id, node.value))
            else:
                out += [(n, None) for n in _target_names(t)]
        return out
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return []
    for t in targets:
        out += [(n, None) for n in _target_names(t)]
    return out


def _target_names(node):
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for elt in node.elts for n in _target_names(elt)]
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    return []


def _chain(node):
    """(base expression, [attribute names]) of a.b.c (base a)."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return node, attrs[::-1]


def _literal_names(node):
    """The attribute names a getattr name argument can be: a string literal, or a conditional
    expression of them; None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value.isidentifier() else None
    if isinstance(node, ast.IfExp):
        a, b = _literal_names(node.body), _literal_names(node.orelse)
        return None if a is None or b is None else a + b
    return None


def _unparse(node, limit=80):
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - exotic nodes
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _TooComplex(Exception):
    pass


def _shown(shown, path):
    """How a finding names a dotted name: as written, with what it resolves to when different."""
    text = shown() if callable(shown) else shown
    return text if text == path else f"{text}` (= `{path}"


# ------------------------------------------------------------------------------------------
# The walker: findings and references of one piece of code.


class _Walk(ast.NodeVisitor):
    """Visits code; records findings, the top-level names it reads (late: only inside a function
    body, looked up when called; exposed: not only called), the student attributes it reads,
    and the top-level names it may change."""

    def __init__(self, analysis, label, scope=None, in_body=False):
        self.a = analysis
        self.label = label
        self.scope = scope          # innermost _Scope, None at module level
        self.in_body = in_body
        self.findings = []
        self.refs = {}              # top-level name -> {"late": bool, "exposed": bool}
        self.attrs = set()          # student-defined attribute names read or called
        self.mutates = set()        # top-level names stored into
        self._callee = None
        self._alias_rhs = None      # the b.c of `a = b.c`: a module there is an alias, resolved

    # -- helpers
    def _add(self, kind, node, construct, reason="", counter=None):
        if callable(construct):  # source text is made only for a finding (ast.unparse is slow)
            construct = construct()
        if counter is None:
            counter = any(w in construct for w in _COUNTER_WORDS)
        self.findings.append(Finding(kind, construct[:120], self.label,
                                     getattr(node, "lineno", 0) or 0, counter, False, reason))

    def _lookup(self, name):
        """("local", scope) | ("global", None) for a name read here."""
        s = self.scope
        while s is not None:
            if name in s.globals:
                return "global", None
            if name in s.locals:
                return "local", s
            s = s.parent
        return "global", None

    def _ref(self, name, exposed):
        entry = self.refs.setdefault(name, {"late": True, "exposed": False})
        entry["late"] = entry["late"] and self.in_body
        entry["exposed"] = entry["exposed"] or exposed

    def _paths(self, name):
        """(dotted paths a name may stand for as a module alias, also bound otherwise?)."""
        where, scope = self._lookup(name)
        if where == "local":
            return self.a.resolver.local(scope, name), name in scope.other
        return self.a.resolver.module(name), name in self.a.student_names

    def _check_path(self, node, path, shown):
        """Finding for a dotted name reached (True when one was recorded)."""
        if A.is_forbidden(path):
            self._add("forbidden", node, lambda: _shown(shown, path))
            return True
        parts = path.split(".")
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            if A.name_allowed(head):
                if head in A.MODULES and i < len(parts):
                    break  # an unlisted member of a listed module
                for attr in parts[i:]:
                    if not self._attribute_ok(attr):
                        break
                else:
                    return False
                break
        root = parts[0]
        reason = ("library" if root in A.LIBRARIES and not any(p.startswith("_") for p in parts)
                  else "escape" if root in A.LIBRARIES else "")
        if not reason:
            reason = "import" if root not in A.IMPORTABLE or path.startswith(".") else "other"
        self._add("unverifiable", node, lambda: _shown(shown, path), reason)
        return True

    def _attribute_ok(self, attr):
        if attr in self.a.student_attrs:
            self.attrs.add(attr)
            return True
        return A.attribute_allowed(attr)

    def _check_attribute(self, node, attr, text):
        if self._attribute_ok(attr):
            return
        if A.FORBIDDEN_NAME.match(attr):
            self._add("forbidden", node, text)
        else:
            self._add("unverifiable", node, text, "escape" if A.is_dunder(attr) else "other")

    # -- names and attributes
    def _name_value(self, node):
        """A name read as a value (not the root of a dotted name)."""
        name = node.id
        where, _scope = self._lookup(name)
        try:
            paths, other = self._paths(name)
        except _TooComplex:
            self._add("unverifiable", node, name, "complex")
            return
        for path in sorted(paths):
            if path in A.MODULES:
                if node is not self._alias_rhs:
                    self._add("unverifiable", node, name, "module_value")
            else:
                self._check_path(node, path, name)
        if where == "local":
            return
        if name in self.a.bound:
            if other or not paths:
                self._ref(name, exposed=self._callee is not node)
            return
        if name == "getattr" and self._callee is not node:
            self._add("unverifiable", node, name, "dynamic")  # handed to map/reduce: names computed
            return
        if name in A.ALLOWED_BUILTINS:
            return
        if name in self.a.builtin_names or name.startswith("__"):
            self._add("unverifiable", node, name, "dynamic" if name in _DYNAMIC else "escape")
            return
        for module in self.a.star_modules:
            self._check_path(node, f"{module}.{name}", name)
        # otherwise undefined: a NameError when it runs, nothing hidden

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self._name_value(node)
        else:
            where, _ = self._lookup(node.id)
            if where == "global":
                self.mutates.add(node.id)

    def visit_Attribute(self, node):
        base, attrs = _chain(node)

        def text():
            return _unparse(node)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._store_into(node, base, text)
        if isinstance(base, ast.Name):
            name = base.id
            try:
                paths, other = self._paths(name)
            except _TooComplex:
                self._add("unverifiable", node, text, "complex")
                return
            where, _ = self._lookup(name)
            for path in sorted(paths):
                full = ".".join([path] + attrs)
                if full in A.MODULES:
                    if node is not self._alias_rhs and isinstance(node.ctx, ast.Load):
                        self._add("unverifiable", node, text, "module_value")
                elif len(full.split(".")) <= MAX_PATH_PARTS:
                    self._check_path(node, full, text)
            if paths and not other:
                return
            if where == "global" and name in self.a.bound:
                self._ref(name, exposed=True)
            elif where == "global" and name not in self.a.bound and name not in A.ALLOWED_BUILTINS:
                if name in self.a.builtin_names or name.startswith("__"):
                    self._add("unverifiable", node, text, "escape")
                    return
                if self.a.star_modules:
                    for module in self.a.star_modules:
                        self._check_path(node, ".".join([module, name] + attrs), text)
                    return
        else:
            saved, self._callee = self._callee, None
            self.visit(base)
            self._callee = saved
        for attr in attrs:
            self._check_attribute(node, attr, text)

    def _store_into(self, node, base, text):
        """`x.a = ...`, `x[i] = ...`: x may change; a module must not."""
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if not isinstance(base, ast.Name):
            return
        where, _ = self._lookup(base.id)
        try:
            paths, _other = self._paths(base.id)
        except _TooComplex:
            paths = {"?"}
        if paths:
            self._add("unverifiable", node, lambda: f"{text() if callable(text) else text} = ...",
                      "monkeypatch")
        elif where == "global":
            self.mutates.add(base.id)

    def visit_Assign(self, node):
        if isinstance(node.value, (ast.Name, ast.Attribute)) and all(isinstance(t, ast.Name)
                                                                    for t in node.targets):
            self._alias_rhs = node.value
        for target in node.targets:
            self.visit(target)
        self.visit(node.value)
        self._alias_rhs = None

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._store_into(node, node.value, _unparse(node))
        saved, self._callee = self._callee, None
        self.generic_visit(node)
        self._callee = saved

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr" and self._lookup("getattr")[0] == "global" \
                and "getattr" not in self.a.bound:
            names = _literal_names(node.args[1]) if len(node.args) >= 2 and not node.keywords else None
            if names is None:
                self._add("unverifiable", node, _unparse(node, 60), "dynamic")
            else:
                for attr in names:
                    self.visit(ast.copy_location(ast.Attribute(node.args[0], attr, ast.Load()), node))
            for arg in node.args[2:]:
                self.visit(arg)
            return
        saved, self._callee = self._callee, func
        self.visit(func)
        self._callee = saved
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    # -- statements with scopes
    def visit_Import(self, node):
        for name, path, _module in _import_bindings(node):
            root = path.lstrip(".").split(".")[0]
            if path.startswith(".") or root not in A.IMPORTABLE:
                self._add("unverifiable", node, f"import {path}", "import")
            elif root in ("importlib", "ctypes", "builtins", "gc", "inspect", "marshal", "pickle"):
                self._add("unverifiable", node, f"import {path}", "escape")
            if name == "*" and not A.name_allowed(path) and path not in A.MODULES:
                self._add("unverifiable", node, f"from {path} import *", "import")

    visit_ImportFrom = visit_Import

    def visit_Global(self, node):
        self.mutates.update(node.names)

    def _arguments(self, args):
        for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(d)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self.visit(a.annotation)

    def _inner(self, node, body):
        inner = _Walk(self.a, self.label, _Scope(node, self.scope), in_body=True)
        for stmt in body:
            inner.visit(stmt)
        self._merge(inner)

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            self.visit(d)
        self._arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        if node.name in A.COUNTER_DUNDERS:
            self._add("unverifiable", node, f"def {node.name}", "escape", counter=True)
        self._inner(node, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._arguments(node.args)
        self._inner(node, [node.body])

    def _comprehension(self, node):
        first = node.generators[0]
        self.visit(first.iter)  # evaluated in the enclosing scope
        inner = _Walk(self.a, self.label, _Scope(node, self.scope), in_body=self.in_body)
        for i, gen in enumerate(node.generators):
            inner.visit(gen.target)
            if i:
                inner.visit(gen.iter)
            for cond in gen.ifs:
                inner.visit(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                inner.visit(getattr(node, part))
        self._merge(inner)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_ClassDef(self, node):
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(d)
        for stmt in node.body:  # class bodies run in their own namespace; methods see globals
            self.visit(stmt)

    def _merge(self, inner):
        self.findings += inner.findings
        for name, entry in inner.refs.items():
            mine = self.refs.setdefault(name, {"late": True, "exposed": False})
            mine["late"] = mine["late"] and entry["late"]
            mine["exposed"] = mine["exposed"] or entry["exposed"]
        self.attrs |= inner.attrs
        self.mutates |= inner.mutates


_DYNAMIC = {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "setattr",
            "delattr", "breakpoint", "open", "input", "memoryview", "dir", "help"}


# ------------------------------------------------------------------------------------------
# Aliases of modules, resolved once per name, bounded.


class _Resolver:
    """Dotted paths a name may stand for: `import torch.nn.functional as F` gives F ->
    {torch.nn.functional}, `G = F` then G -> the same. Bounded: a name standing for more than
    MAX_ALIAS_PATHS paths, or in an alias cycle, raises _TooComplex (cached: linear overall)."""

    def __init__(self, module_sources, star_modules):
        self.module_sources = module_sources   # name -> [path | expression]
        self.star_modules = star_modules
        self._memo = {}
        self._active = set()

    def module(self, name):
        return self._resolve(None, name)

    def local(self, scope, name):
        return self._resolve(scope, name)

    def _sources(self, scope, name):
        if scope is None:
            return self.module_sources.get(name, ())
        return scope.sources.get(name, ())

    def _resolve(self, scope, name):
        key = (id(scope), name)
        if key in self._memo:
            found = self._memo[key]
            if found is None:
                raise _TooComplex(name)
            return found
        if key in self._active:   # an alias cycle
            self._memo[key] = None
            raise _TooComplex(name)
        self._active.add(key)
        try:
            paths = set()
            for source in self._sources(scope, name):
                if isinstance(source, str):
                    paths.add(source)
                else:
                    paths |= self._expr(scope, source)
                if len(paths) > MAX_ALIAS_PATHS or any(len(p.split(".")) > MAX_PATH_PARTS for p in paths):
                    self._memo[key] = None
                    raise _TooComplex(name)
            self._memo[key] = frozenset(paths)
            return self._memo[key]
        except _TooComplex:
            self._memo[key] = None
            raise
        finally:
            self._active.discard(key)

    def _expr(self, scope, node):
        base, attrs = _chain(node)
        if not isinstance(base, ast.Name):
            return set()
        s = scope
        while s is not None and base.id not in s.locals:
            if base.id in s.globals:
                s = None
                break
            s = s.parent
        found = self._resolve(s, base.id)
        return {".".join([p] + attrs) for p in found}


# ------------------------------------------------------------------------------------------
# Which top-level code runs at load (mirrors autograder/sandboxed/worker/loader.py).


def _runs_at_load(node, definitions_only):
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return True
    if definitions_only:
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return True
    if isinstance(node, ast.If):
        return not _is_main_guard(node)
    return isinstance(node, ast.Try) or type(node).__name__ == "TryStar"


def _executed_parts(node):
    """The sub-nodes of a top-level statement that run when it runs (a def runs its decorators,
    defaults and annotations, not its body; a class runs its body)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts = list(node.decorator_list)
        a = node.args
        parts += a.defaults + [d for d in a.kw_defaults if d is not None]
        parts += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
                  if x is not None and x.annotation is not None]
        if node.returns is not None:
            parts.append(node.returns)
        return parts
    if isinstance(node, ast.ClassDef):
        parts = list(node.decorator_list) + node.bases + [k.value for k in node.keywords]
        for stmt in node.body:
            parts += _executed_parts(stmt)
        return parts
    return [node]


def _top_level_binds(node, global_names):
    """Module-level names a top-level statement binds (a function's locals are its own; names it
    declares global, `global_names`, are bound when it runs)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name} | global_names
    names = set(global_names)
    for n in _own_nodes([node]):
        if n is not node and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update(name for name, _p, _m in _import_bindings(n) if name != "*")
    return names


# ------------------------------------------------------------------------------------------
# The analysis of one submission.


@dataclass
class _Unit:
    label: str
    node: ast.AST
    binds: set
    global_names: set = field(default_factory=set)   # declared global in its functions
    attrs: set = field(default_factory=set)          # attribute names it defines


class Analysis:
    """Parses the cells once; verdict(name, isolate) for each graded object."""

    def __init__(self, cells):
        self.units = []              # the top-level statements that run at load, in order
        self.parse_errors = []
        for cell in cells or []:
            label, source = str(cell[0]), str(cell[1])
            definitions_only = len(cell) > 2 and cell[2] == "definitions"
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.parse_errors.append(label)  # the worker cannot run it either
                continue
            first_line = cell[3] if len(cell) > 3 and isinstance(cell[3], int) else 1
            if first_line > 1:  # a block of a longer .py: report the file's line numbers
                ast.increment_lineno(tree, first_line - 1)
            for node in tree.body:
                if _runs_at_load(node, definitions_only):
                    global_names, attrs = set(), set()
                    for n in ast.walk(node):
                        if isinstance(n, ast.Global):
                            global_names.update(n.names)
                        else:
                            attrs.update(_defined_attributes(n))
                    self.units.append(_Unit(label, node, _top_level_binds(node, global_names),
                                            global_names, attrs))
        self.bound = set()
        for u in self.units:
            self.bound |= u.binds
        self._index()
        self._walks, self._exec_walks, self._verdicts = {}, {}, {}
        self._load = None

    # -- what the student defines
    def _index(self):
        module_sources, other = {}, set()
        self.star_modules = []
        self.student_attrs = set()
        self._attr_units = {}        # attribute name -> units that define it
        self._binders = {}           # name -> units that bind it
        for i, u in enumerate(self.units):
            for name in u.binds:
                self._binders.setdefault(name, []).append(i)
            scope_nodes = [u.node] if isinstance(u.node, _SCOPE_NODES) else _own_nodes([u.node])
            for n in scope_nodes:
                if isinstance(n, (ast.Import, ast.ImportFrom)):
                    for name, path, _m in _import_bindings(n):
                        if name == "*":
                            self.star_modules.append(path)
                        else:
                            module_sources.setdefault(name, []).append(path)
                elif isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With,
                                    ast.NamedExpr)):
                    for name, expr in _simple_bindings(n):
                        if expr is None:
                            other.add(name)
                        else:
                            module_sources.setdefault(name, []).append(expr)
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    other.add(n.name)
            for attr in u.attrs:
                self.student_attrs.add(attr)
                self._attr_units.setdefault(attr, set()).add(i)
            other.update(u.global_names)  # a global assigned inside a function
        self.student_names = other
        self.builtin_names = set(dir(__builtins__) if not isinstance(__builtins__, dict) else __builtins__)
        self.resolver = _Resolver(module_sources, self.star_modules)

    # -- walking
    def _guarded_walk(self, unit, parts):
        w = _Walk(self, unit.label)
        try:
            for part in parts:
                w.visit(part)
        except RecursionError:  # absurdly nested code cannot be read, so it cannot be vouched for
            w = _Walk(self, unit.label)
            w.findings.append(Finding("unverifiable", "código anidado demasiado profundo", unit.label,
                                      getattr(unit.node, "lineno", 0) or 0, reason="complex"))
        return w

    def _walk(self, i):
        """Full walk of top-level unit i (function bodies included)."""
        if i not in self._walks:
            self._walks[i] = self._guarded_walk(self.units[i], [self.units[i].node])
        return self._walks[i]

    def _exec_walk(self, i):
        """Walk of what unit i runs at load: everything but function bodies."""
        if not isinstance(self.units[i].node, _SCOPE_NODES):
            return self._walk(i)   # an import, assignment or block runs whole
        if i not in self._exec_walks:
            u = self.units[i]
            self._exec_walks[i] = self._guarded_walk(u, _executed_parts(u.node))
        return self._exec_walks[i]

    # -- load time
    def _load_time(self):
        """(units whose whole code runs at load, the names that code may change or hand out,
        its unverifiable findings)."""
        if self._load is None:
            called, todo, findings, touched = set(), [], [], set()

            def reach(w):
                for name in w.refs:
                    todo.extend(self._binders.get(name, ()))
                for attr in w.attrs:
                    todo.extend(self._attr_units.get(attr, ()))

            for i in range(len(self.units)):
                w = self._exec_walk(i)
                findings += [f for f in w.findings if f.kind == "unverifiable"]
                reach(w)
            while todo:
                i = todo.pop()
                if i in called:
                    continue
                called.add(i)
                w = self._walk(i)
                findings += [f for f in w.findings if f.kind == "unverifiable"]
                touched |= w.mutates | {n for n, e in w.refs.items() if e["exposed"]}
                reach(w)
            findings = _dedupe(Finding(f.kind, f.construct, f.label, f.line, f.counter, True, f.reason)
                               for f in findings)
            touched -= self._alias_only()
            # an executed statement joins the verdict of any object whose names it may change
            touch_index = {}
            for i in range(len(self.units)):
                w = self._exec_walk(i)
                for name in w.mutates | {n for n, e in w.refs.items() if e["exposed"]}:
                    touch_index.setdefault(name, []).append(i)
            self._load = (called, touched, findings, touch_index)
        return self._load

    def _alias_only(self):
        return {n for n in self.resolver.module_sources if n not in self.student_names}

    def load_findings(self):
        """Unverifiable findings in code that runs when the submission is loaded."""
        return list(self._load_time()[2])

    # -- verdicts
    def _closure(self, name, isolate):
        called, touched, _findings, touch_index = self._load_time()
        isolate = set(isolate)
        units, names, joined_load = set(), set(), False
        todo_names, todo_units = [name], []
        while todo_names or todo_units:
            while todo_names:
                n = todo_names.pop()
                if n in names:
                    continue
                names.add(n)
                todo_units += self._binders.get(n, [])
                todo_units += touch_index.get(n, [])
                if n in touched and not joined_load:
                    joined_load = True
                    todo_units += sorted(called)
            while todo_units:
                i = todo_units.pop()
                if i in units:
                    continue
                units.add(i)
                w = self._walk(i)
                for ref, entry in w.refs.items():
                    if ref in isolate and entry["late"] and i not in called:
                        continue  # the grader substitutes its own helper for this name
                    if ref not in names:
                        todo_names.append(ref)
                for attr in w.attrs:
                    todo_units += self._attr_units.get(attr, ())
        return units

    def verdict(self, name, isolate=()) -> Verdict:
        key = (name, tuple(sorted(isolate)))
        if key not in self._verdicts:
            found = self.load_findings()  # first: the same construct is shown as run at load
            for i in sorted(self._closure(name, isolate)):
                found += self._walk(i).findings
            self._verdicts[key] = Verdict(name, _dedupe(found))
        return self._verdicts[key]

    def tamper_findings(self):
        """Every construct that could reach the grader's worker, its probes or its pipes, in any
        code that can run (reachable from a graded object or not)."""
        found = []
        for i in range(len(self.units)):
            found += [f for f in self._walk(i).findings if f.tamper]
        return _dedupe(found)

    def defined(self):
        return sorted(self.bound)


def _defined_attributes(node):
    """Attribute names a student's code defines: methods and class attributes, `x.a = ...`
    targets, dataclass fields, namedtuple fields."""
    if isinstance(node, ast.ClassDef):
        out = []
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                out += [n for t in targets for n in _target_names(t)]
        return [n for n in out if not A.is_dunder(n)]
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and not A.is_dunder(node.attr):
        return [node.attr]
    if isinstance(node, ast.Call):
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if fname == "namedtuple" and len(node.args) >= 2:
            spec = node.args[1]
            if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
                return [n for n in spec.value.replace(",", " ").split() if n.isidentifier()]
            if isinstance(spec, (ast.List, ast.Tuple)):
                return [e.value for e in spec.elts if isinstance(e, ast.Constant)
                        and isinstance(e.value, str) and e.value.isidentifier()]
    return []


MAX_FINDINGS = 12   # per verdict: a message shows four, a review one


def _dedupe(findings, limit=MAX_FINDINGS):
    """Distinct findings in order, at most `limit` (forbidden ones first when cut: a hostile
    file's thousands of findings would only cost time)."""
    out, seen = [], set()
    for f in findings:
        key = (f.kind, f.construct, f.label, f.line)
        if key not in seen:
            seen.add(key)
            out.append(f)
    if len(out) > limit:
        out = ([f for f in out if f.kind == "forbidden"] + [f for f in out if f.kind != "forbidden"])[:limit]
    return out


def check(cells, name, isolate=()) -> Verdict:
    """The verdict of one graded object (parses the cells; use Analysis for several)."""
    return Analysis(cells).verdict(name, isolate)


# ------------------------------------------------------------------------------------------
# Bounded: the grader's way to run the analysis on an untrusted file.

ANALYSIS_SECONDS = 20.0
ANALYSIS_MEMORY = 1 << 30


def _isolate_sets():
    """Every set of stand-ins a suite may substitute (probes.HELPERS' graded names)."""
    out = [()]
    for name in A.STAND_INS:
        out += [tuple(sorted(s + (name,))) for s in out]
    return out


class Report:
    """The verdicts of one submission computed elsewhere (analyse_bounded), with Analysis's API."""

    def __init__(self, verdicts, tamper, load, failure=None):
        self._verdicts, self._tamper, self._load, self.failure = verdicts, tamper, load, failure

    @classmethod
    def of(cls, analysis, names):
        verdicts = {}
        for name in [n for n in names if n in analysis.bound]:  # others: the load findings only
            for iso in _isolate_sets():
                verdicts[f"{name}|{','.join(iso)}"] = analysis.verdict(name, iso).findings
        return cls(verdicts, analysis.tamper_findings(), analysis.load_findings())

    @classmethod
    def unverifiable(cls, why):
        """Every verdict "cannot verify" (the analysis overran its time or memory)."""
        f = Finding("unverifiable", why, "", 0, reason="complex", at_load=True)
        return cls({}, [f], [f], failure=why)

    def verdict(self, name, isolate=()) -> Verdict:
        if self.failure:
            return Verdict(name, list(self._load))
        wanted = set(isolate)
        best = ()
        for iso in _isolate_sets():  # the widest stand-in set the grader really substitutes
            if set(iso) <= wanted and len(iso) >= len(best):
                best = iso
        return Verdict(name, list(self._verdicts.get(f"{name}|{','.join(best)}", self._load)))

    def tamper_findings(self):
        return list(self._tamper)

    def load_findings(self):
        return list(self._load)

    def to_json(self):
        return json.dumps({"verdicts": {k: [asdict(f) for f in v] for k, v in self._verdicts.items()},
                           "tamper": [asdict(f) for f in self._tamper],
                           "load": [asdict(f) for f in self._load]})

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)

        def findings(items):
            return [Finding(**{k: item[k] for k in Finding.__dataclass_fields__}) for item in items]

        return cls({k: findings(v) for k, v in data["verdicts"].items()}, findings(data["tamper"]),
                   findings(data["load"]))


TOO_COSTLY = "código demasiado grande o complejo para revisarlo"


def analyse_bounded(cells, names=GUARDED, seconds=ANALYSIS_SECONDS, memory=ANALYSIS_MEMORY):
    """(Report, seconds it took) of the cells, computed in a child process limited to `seconds`
    of wall and CPU time and `memory` bytes of address space. Past a limit every verdict is
    "cannot verify" (Report.failure says why); never raises for what the cells hold."""
    import subprocess
    import time

    payload = json.dumps({"cells": [list(c) for c in cells or []], "names": list(names)})
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-I", "-S", os.path.abspath(__file__), "--serve",
                               str(max(1, int(seconds) + 1)), str(int(memory))],
                              input=payload.encode("utf-8"), capture_output=True,
                              timeout=max(1.0, seconds), check=False)
    except subprocess.TimeoutExpired:
        return Report.unverifiable(TOO_COSTLY), time.monotonic() - started
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        return Report.unverifiable(TOO_COSTLY), elapsed
    try:
        return Report.from_json(done.stdout.decode("utf-8")), elapsed
    except (ValueError, KeyError, TypeError):
        return Report.unverifiable(TOO_COSTLY), elapsed


def _serve(cpu_seconds, memory):
    """The bounded child: limits itself before it reads anything untrusted."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.setrecursionlimit(3000)
    report = Report.of(Analysis(data["cells"]), data["names"])
    sys.stdout.write(report.to_json())


# ------------------------------------------------------------------------------------------
# Messages.

_ADVICE_ES = {
    "dynamic": "el corrector no puede saber qué se ejecuta: escribe el nombre directamente "
               "(por ejemplo x.amax(...) en vez de getattr(x, nombre)) y el código sin eval/exec",
    "module_value": "usa el módulo como un valor; llama a sus funciones directamente "
                    "(por ejemplo F.pad(...))",
    "import": "importa código que el corrector no puede leer; escribe todo en tu entrega",
    "monkeypatch": "modifica un módulo; no cambies torch, numpy ni el corrector",
    "complex": "es demasiado complejo para revisarlo; escribe el código de forma directa",
}
_ADVICE_EN = {
    "dynamic": "the grader cannot know what runs: write the name directly (e.g. x.amax(...) "
               "instead of getattr(x, name)) and the code without eval/exec",
    "module_value": "it uses the module as a value; call its functions directly (e.g. F.pad(...))",
    "import": "it imports code the grader cannot read; write everything in your submission",
    "monkeypatch": "it changes a module; do not change torch, numpy or the grader",
    "complex": "it is too complex to check; write the code directly",
}
_LIST_ES = ("Lo permitido: bucles, slicing, tus propias funciones y clases, y las funciones de "
            "torch/numpy de creación, forma, aritmética, reducciones, matmul/einsum/tensordot, "
            "Tensor.unfold, sliding_window_view/as_strided y F.pad (la lista completa: "
            "cursocnn/allowlist.py)")
_LIST_EN = ("Allowed: loops, slicing, your own functions and classes, and torch/numpy functions for "
            "creation, shape, arithmetic, reductions, matmul/einsum/tensordot, Tensor.unfold, "
            "sliding_window_view/as_strided and F.pad (the full list: cursocnn/allowlist.py)")


def describe(verdict: Verdict, lang="es") -> str:
    f = verdict.first
    if f is None:
        return ""
    name = verdict.name
    en = lang == "en"
    others = [g for g in verdict.findings if g is not f][:3]
    more = ""
    if others:
        more = ("\nAlso: " if en else "\nTambién: ") + "; ".join(
            f"`{g.construct}` ({g.where_en() if en else g.where_es()})" for g in others)
    where = f.where_en() if en else f.where_es()
    if f.construct == TOO_COSTLY:
        text = (f"We cannot verify that {name} implements the operation itself: your code is too "
                f"large or complex to check within the time and memory the grader gives it. Write "
                f"it more directly." if en else
                f"No podemos verificar que {name} implemente la operación por sí misma: tu código es "
                f"demasiado grande o complejo para revisarlo con el tiempo y la memoria que tiene el "
                f"corrector. Escríbelo de forma más directa.")
        return text
    load = ""
    if f.at_load:
        load = (" That code runs when your submission is loaded, so it affects every graded function."
                if en else " Ese código se ejecuta al cargar tu entrega, así que afecta a todas las "
                           "funciones calificadas.")
    counter = ""
    if f.counter:
        counter = (" It also hides your function's work from the grader's counter." if en else
                   " Además oculta el trabajo de tu función al contador del corrector.")
    if f.kind == "forbidden":
        if en:
            text = (f"{name} uses `{f.construct}` ({where}). The exercise asks you to implement the "
                    f"operation yourself, without PyTorch's (or another library's) convolution/pooling "
                    f"functions: use loops, slicing, sums, matmul, Tensor.unfold or einsum.")
        else:
            text = (f"{name} usa `{f.construct}` ({where}). El ejercicio pide implementar la "
                    f"operación tú mismo/a, sin las funciones de convolución/pooling de PyTorch (ni "
                    f"otras bibliotecas): usa bucles, slicing, sumas, matmul, Tensor.unfold o einsum.")
    else:
        advice = (_ADVICE_EN if en else _ADVICE_ES).get(f.reason)
        if en:
            why = f": {advice}." if advice else ", which is not on the list of what graded code may use."
            text = (f"We cannot verify that {name} implements the operation itself because it uses "
                    f"`{f.construct}` ({where}){why}{load}{counter} {_LIST_EN}.")
        else:
            why = f": {advice}." if advice else ", que no está en la lista de lo que puede usar el código calificado."
            text = (f"No podemos verificar que {name} implemente la operación por sí misma porque usa "
                    f"`{f.construct}` ({where}){why}{load}{counter} {_LIST_ES}.")
    return text + more


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    _serve(int(sys.argv[2]), int(sys.argv[3]))
