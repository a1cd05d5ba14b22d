"""¿Implementaste la operación tú mismo/a? Revisión estática del código fuente.

The "implement it yourself" rule of the course, decided from the SOURCE of a submission (standard
library `ast` only, nothing of the student's code is executed). The grader runs it in its trusted
process on the cells it loaded; the student kit's self-check runs the very same rule, so a
student sees the same verdict before submitting. Not secret: it only says what is refused.

    from cursocnn.implementation_check import Analysis, GUARDED
    analysis = Analysis(cells)                     # cells: [[label, source, (mode)], ...]
    verdict = analysis.verdict("corr2d", isolate=("helper",))
    verdict.ok, verdict.findings[0].kind, verdict.findings[0].construct

What a graded object's verdict covers: the code reachable from it (its def/class with decorators,
default arguments and annotations, and transitively every top-level student name it refers to,
with every top-level statement that binds or mutates such a name), plus the code that runs when
the worker loads the submission (see _executed_parts: it mirrors autograder/worker/loader.py).

Findings:
- "forbidden": a convolution/pooling/im2col built-in under any name (F.conv2d, torch.conv2d,
  torch._C._nn.im2col, torch.ops.aten.convolution, nn.Conv2d, nn.MaxPool2d, nn.Unfold, F.unfold,
  F.fold, torch.nn.grad, scipy.signal, scipy.ndimage, ...).
- "unverifiable": code whose effect cannot be read from the source: dynamic attribute or import
  access (getattr, __import__, importlib, eval, exec, globals, vars, __dict__, sys.modules, ...),
  private or low-level torch namespaces (torch._C, torch.ops, torch.library, torch.fx, torch.jit,
  torch.compile, ctypes), monkeypatching an imported module, and tracing/dispatch switches
  (sys.settrace, torch.overrides, DisableTorchFunction, __torch_function__) which also hide work
  from the grader's work counter ("counter" is set on those findings).
Unverifiable code that runs at load time taints every graded object (it could change anything).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

# The objects the rule covers: the functions the hidden suites call with guard=True.
GUARDED = ("corr2d", "corr2d_pad_stride", "corr2d_multi_in", "corr2d_multi_in_out",
           "corr2d_multi_in_out_1x1", "pool2d", "pool2d_pad_stride")

# ------------------------------------------------------------------------------------------
# What is forbidden / unverifiable.

# Attribute or name spellings of the conv/pool/im2col kernels, whatever module they come from.
_FORBIDDEN_NAME = re.compile(
    r"^_*(?:"
    r"conv(?:_transpose)?[123]d(?:_input|_weight|_backward\w*)?|conv_tbc\w*|conv_depthwise\w*|"
    r"convolution\w*|conv_forward|\w*_convolution\w*|slow_conv\w*|thnn_conv\w*|"
    r"\w+_conv(?:_transpose)?[123]d\w*|"
    r"(?:quantized_|mkldnn_|mps_|cudnn_)?(?:max|avg)_pool[123]d\w*|"
    r"adaptive_(?:max|avg)_pool[123]d\w*|lp_pool[123]d|fractional_max_pool[123]d\w*|"
    r"im2col\w*|col2im\w*|"
    r"(?:Lazy)?Conv(?:Transpose)?[123]d|(?:Adaptive)?(?:Max|Avg)Pool[123]d|LPPool[123]d|"
    r"FractionalMaxPool[123]d|Unfold|Fold"
    r")$")
# Dotted prefixes that are forbidden as a whole (or their members).
_FORBIDDEN_PREFIXES = (
    "torch.nn.functional.unfold", "torch.nn.functional.fold", "torch.nn.functional.interpolate",
    "torch.nn.functional.upsample", "torch.nn.Upsample", "torch.nn.grad",
    "torch.nn.modules.conv", "torch.nn.modules.pooling", "torch.nn.modules.fold",
    "scipy.signal", "scipy.ndimage", "cv2", "skimage.filters", "skimage.measure.block_reduce",
    "torchvision.ops", "kornia", "tensorflow", "jax",
)
# Dotted prefixes whose use cannot be vouched for. (kind, counter-evasion?)
_UNVERIFIABLE_PREFIXES = {
    "torch.ops": False, "torch.library": False, "torch.fx": False, "torch.jit": False,
    "torch.compile": False, "torch.export": False, "torch.hub": False, "torch.package": False,
    "torch.classes": False, "torch.utils.cpp_extension": False, "torch.func.functional_call": False,
    "torch.overrides": True, "torch.autograd.graph": False,
    "importlib": False, "ctypes": False, "numpy.ctypeslib": False, "builtins": False,
    "inspect": False, "gc": False, "types": False, "marshal": False, "pickle": False,
    "code": False, "codeop": False, "runpy": False, "subprocess": False,
    "multiprocessing": False, "concurrent": False, "operator.attrgetter": False,
    "operator.methodcaller": False, "functools.partialmethod": False,
    "sys.settrace": True, "sys.setprofile": True, "sys.gettrace": True, "sys.getprofile": True,
    "sys.monitoring": True, "threading.settrace": True, "threading.setprofile": True,
    "threading.settrace_all_threads": True, "threading.setprofile_all_threads": True,
    "sys": False, "os": False, "io": False, "signal": False, "threading": False,
    "agworker": False, "autograder": False, "cursocnn": False, "reference": False,
    # files and descriptors: the way to the worker's protocol pipe (forged replies)
    "pathlib": False, "shutil": False, "tempfile": False, "mmap": False, "socket": False,
    "fcntl": False, "pty": False, "resource": False, "select": False, "torch.save": False,
    "torch.load": False, "numpy.save": False, "numpy.savez": False, "numpy.savez_compressed": False,
    "numpy.fromfile": False, "numpy.memmap": False, "numpy.load": False, "numpy.tofile": False,
}
# Attribute names that write or map files whatever object they are called on.
_FILE_ATTRS = {"tofile", "write_bytes", "write_text", "fdopen", "fileno"}
# Harmless members of the modules above.
_ALLOWED = ("os.path", "os.environ", "os.getenv", "os.cpu_count", "sys.maxsize", "sys.float_info", "sys.version", "sys.version_info",
            "sys.stdout", "sys.stderr", "sys.getrecursionlimit", "sys.setrecursionlimit",
            "sys.exit", "types.SimpleNamespace", "io.StringIO", "io.BytesIO",
            "torch.nn.modules.utils._pair", "torch.nn.modules.utils._single",
            "torch.nn.modules.utils._triple", "torch.nn.modules.utils._ntuple",
            "cursocnn.data", "cursocnn.plots", "cursocnn.training", "cursocnn.selfcheck")
# Builtins that reach objects by a name computed at run time, or run code from text.
_UNVERIFIABLE_BUILTINS = {"getattr", "setattr", "delattr", "__import__", "eval", "exec",
                          "compile", "globals", "vars", "locals", "breakpoint", "__builtins__",
                          "__loader__", "__spec__", "memoryview", "open"}
# Dunder attributes that expose namespaces, code or dispatch (introspection escapes).
_UNVERIFIABLE_DUNDERS = {
    "__dict__", "__globals__", "__builtins__", "__code__", "__closure__", "__getattribute__",
    "__getattr__", "__setattr__", "__delattr__", "__subclasses__", "__bases__", "__base__",
    "__mro__", "__defaults__", "__kwdefaults__", "__func__", "__self__",
    "__wrapped__", "__module__", "__loader__", "__spec__", "__import__", "__reduce__",
    "__reduce_ex__", "__setstate__", "__init_subclass__", "__set_name__", "__objclass__",
    "__torch_function__", "__torch_dispatch__", "__call__", "f_globals", "f_locals", "f_back",
    "gi_frame", "tb_frame", "cr_frame",
}
_COUNTER_DUNDERS = {"__torch_function__", "__torch_dispatch__"}
# Private torch names that give raw access to the kernels, reported wherever they appear.
_PRIVATE_TORCH_ATTRS = {"_C", "_VariableFunctions", "_VariableFunctionsClass", "_nn", "_refs",
                        "_decomp", "_prims", "_prims_common", "_ops", "_dynamo", "_inductor",
                        "_functorch", "_higher_order_ops", "_subclasses", "_library",
                        "_python_dispatch", "_jit_internal", "_conv_forward", "DisableTorchFunction",
                        "DisableTorchFunctionSubclass", "TorchFunctionMode", "TorchDispatchMode"}
_COUNTER_ATTRS = {"DisableTorchFunction", "DisableTorchFunctionSubclass", "TorchFunctionMode",
                  "TorchDispatchMode", "_python_dispatch", "settrace", "setprofile"}
_BUILTIN_NAMES = set(dir(__builtins__) if not isinstance(__builtins__, dict) else __builtins__)


def _starts(path, prefix):
    return path == prefix or path.startswith(prefix + ".")


def classify_path(path: str):
    """(kind, counter) for a fully qualified dotted name, or None when it is fine."""
    parts = path.split(".")
    if any(_starts(path, p) for p in _FORBIDDEN_PREFIXES):
        return "forbidden", False
    if parts[0] in ("torch", "torchvision", "numpy", "scipy") and any(_FORBIDDEN_NAME.match(p) for p in parts[1:]):
        return "forbidden", False
    if any(_starts(path, a) for a in _ALLOWED):
        return None
    for prefix, counter in _UNVERIFIABLE_PREFIXES.items():
        if _starts(path, prefix):
            return "unverifiable", counter
    if parts[0] == "torch" and any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
        return "unverifiable", any(p in _COUNTER_ATTRS for p in parts)
    if parts[0] == "torch" and any(p in _PRIVATE_TORCH_ATTRS for p in parts):
        return "unverifiable", any(p in _COUNTER_ATTRS for p in parts)
    return None


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

    def where_es(self) -> str:
        return f"línea {self.line} de {self.label}" if self.label else f"línea {self.line}"

    def where_en(self) -> str:
        return f"line {self.line} of {self.label}" if self.label else f"line {self.line}"


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
# Scopes.


def _param_names(args: ast.arguments):
    out = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    out += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return out


def _target_names(node):
    """Names bound by an assignment target."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for elt in node.elts for n in _target_names(elt)]
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    return []


def _root_name(node):
    """The Name at the root of a.b[c].d (None if the root is not a Name)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _import_bindings(node):
    """[(bound name, dotted path or None for a star import of path)] of an import statement."""
    out = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                out.append((a.asname, a.name))
            else:
                root = a.name.split(".")[0]
                out.append((root, root))
    elif isinstance(node, ast.ImportFrom):
        base = ("." * node.level) + (node.module or "")
        for a in node.names:
            if a.name == "*":
                out.append(("*", base))
            else:
                out.append((a.asname or a.name, f"{base}.{a.name}" if base else a.name))
    return out


def _own_nodes(body_nodes):
    """Walk nodes without entering nested function/class/lambda bodies (their own scopes)."""
    stack = list(body_nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield child  # its name is bound here; decorators/defaults evaluated here too
                stack.extend(child.decorator_list)
                if isinstance(child, ast.ClassDef):
                    stack.extend(child.bases + [k.value for k in child.keywords])
                else:
                    stack.extend([d for d in child.args.defaults + child.args.kw_defaults if d])
            elif isinstance(child, ast.Lambda):
                stack.extend([d for d in child.args.defaults + child.args.kw_defaults if d])
            else:
                stack.append(child)


class _Scope:
    def __init__(self, node, parent):
        self.parent = parent
        self.locals = set()
        self.globals = set()
        self.aliases = {}  # local name -> set of dotted paths (imports)
        self.alias_exprs = {}  # local name -> [expressions assigned to it]
        if node is None:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self.locals.update(_param_names(node.args))
            body = node.body if isinstance(node.body, list) else [node.body]
        else:
            body = node.body
        for n in _own_nodes(body):
            if isinstance(n, ast.Global):
                self.globals.update(n.names)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                self.locals.add(n.id)
            elif isinstance(n, ast.Assign) and isinstance(n.value, (ast.Name, ast.Attribute)):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        self.alias_exprs.setdefault(t.id, []).append(n.value)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not node:
                self.locals.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for name, path in _import_bindings(n):
                    if name != "*":
                        self.locals.add(name)
                        self.aliases.setdefault(name, set()).add(path)
            elif isinstance(n, ast.ExceptHandler) and n.name:
                self.locals.add(n.name)
        self.locals -= self.globals


# ------------------------------------------------------------------------------------------
# The walker: findings and references of one piece of code.


class _Walk(ast.NodeVisitor):
    """Visits code, records findings, the top-level names it reads (and whether it only calls
    them), the top-level names it may mutate, and monkeypatches of imported modules."""

    def __init__(self, analysis, label, scope, in_body=False):
        self.a = analysis
        self.label = label
        self.scope = scope
        self.in_body = in_body      # inside a function body: globals are looked up at call time
        self.findings = []
        self.refs = {}              # top-level name -> {"late": bool, "exposed": bool}
        self.mutates = set()        # top-level names stored into (attribute/subscript/global)
        self._callee = None
        self._resolving = set()

    # -- helpers
    def _add(self, kind, node, construct, counter=False):
        self.findings.append(Finding(kind, construct[:120], self.label,
                                     getattr(node, "lineno", 0) or 0, counter))

    def _is_local(self, name):
        s = self.scope
        while s is not None and s.parent is not None:
            if name in s.globals:
                return False
            if name in s.locals:
                return True
            s = s.parent
        return False

    def _local_aliases(self, name):
        s = self.scope
        while s is not None and s.parent is not None:
            if name in s.globals:
                break
            if name in s.aliases or name in s.alias_exprs:
                paths = set(s.aliases.get(name, ()))
                key = (id(s), name)
                if key not in self._resolving:
                    self._resolving.add(key)
                    saved, self.scope = self.scope, s
                    try:
                        for expr in s.alias_exprs.get(name, ()):
                            paths |= self.resolve(expr)
                    finally:
                        self.scope = saved
                        self._resolving.discard(key)
                return paths
            if name in s.locals:
                return set()
            s = s.parent
        return None

    def resolve(self, node):
        """Dotted paths an expression may stand for (empty when unknown)."""
        if isinstance(node, ast.Name):
            local = self._local_aliases(node.id)
            if local is not None:
                return set(local)
            if self._is_local(node.id):
                return set()
            return self.a.module_paths(node.id)
        if isinstance(node, ast.Attribute):
            return {f"{p}.{node.attr}" for p in self.resolve(node.value)}
        return set()

    def _ref(self, name, exposed):
        entry = self.refs.setdefault(name, {"late": True, "exposed": False})
        entry["late"] = entry["late"] and self.in_body
        entry["exposed"] = entry["exposed"] or exposed

    def _check_paths(self, node, paths, text):
        for path in sorted(paths):
            verdict = classify_path(path)
            if verdict:
                shown = text if text == path else f"{text}` (= `{path}"
                self._add(verdict[0], node, shown, verdict[1])
                return True
        return False

    # -- names and attributes
    def visit_Name(self, node):
        name = node.id
        if isinstance(node.ctx, ast.Load):
            if self._is_local(name):
                local = self._local_aliases(name)
                if local:
                    self._check_paths(node, local, name)
                return
            if name in self.a.bound:
                self._ref(name, exposed=self._callee is not node)
                if name in self.a.import_names:
                    self._check_paths(node, self.a.module_paths(name), name)
                return
            if name in _UNVERIFIABLE_BUILTINS:
                self._add("unverifiable", node, name)
            elif name in _BUILTIN_NAMES:
                return
            elif not self._check_paths(node, {f"{m}.{name}" for m in self.a.star_modules}, name) \
                    and _FORBIDDEN_NAME.match(name):
                self._add("forbidden", node, name)       # undefined, or from an unknown star import
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and not self._is_local(name):
            self.mutates.add(name)

    def visit_Attribute(self, node):
        text = _unparse(node)
        attr = node.attr
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root_name(node)
            if root is not None and not self._is_local(root):
                self.mutates.add(root)
                if root in self.a.import_names:
                    self._add("unverifiable", node, f"{text} = ...")   # monkeypatching a module
            elif root is not None and self._local_aliases(root):
                self._add("unverifiable", node, f"{text} = ...")
        paths = self.resolve(node)
        if self._check_paths(node, paths, text):
            base = _root_node(node)
            if isinstance(base, ast.Name):
                self._ref_only(base)
            else:
                self.visit(base)
            return
        if _FORBIDDEN_NAME.match(attr):
            self._add("forbidden", node, text)
        elif attr in _UNVERIFIABLE_DUNDERS:
            self._add("unverifiable", node, text, attr in _COUNTER_DUNDERS)
        elif attr in _PRIVATE_TORCH_ATTRS:
            self._add("unverifiable", node, text, attr in _COUNTER_ATTRS)
        elif attr in ("settrace", "setprofile"):
            self._add("unverifiable", node, text, True)
        elif attr in _FILE_ATTRS:
            self._add("unverifiable", node, text)
        if isinstance(node.value, ast.Name):
            self._ref_only(node.value)
        else:
            saved, self._callee = self._callee, None
            self.visit(node.value)
            self._callee = saved

    def _ref_only(self, name_node):
        if isinstance(name_node, ast.Name) and not self._is_local(name_node.id) \
                and name_node.id in self.a.bound:
            self._ref(name_node.id, exposed=True)

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root_name(node)
            if root is not None and not self._is_local(root):
                self.mutates.add(root)
                if root in self.a.import_names:
                    self._add("unverifiable", node, f"{_unparse(node)} = ...")
        self.generic_visit(node)

    def visit_Call(self, node):
        saved, self._callee = self._callee, node.func
        self.visit(node.func)
        self._callee = saved
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and ("/proc/" in node.value or node.value.startswith(("/proc", "/dev/"))):
            self._add("unverifiable", node, repr(node.value)[:60])  # descriptors of the worker

    # -- statements with scopes
    def visit_Import(self, node):
        for name, path in _import_bindings(node):
            verdict = classify_path(path)
            if verdict and verdict[0] == "unverifiable" and path.split(".")[0] in (
                    "importlib", "ctypes", "agworker", "autograder", "builtins", "gc", "inspect"):
                self._add("unverifiable", node, f"import {path}")

    visit_ImportFrom = visit_Import

    def visit_Global(self, node):
        self.mutates.update(node.names)

    def _function(self, node):
        for d in node.decorator_list:
            self.visit(d)
        self._arguments(node.args)
        if getattr(node, "returns", None) is not None:
            self.visit(node.returns)
        if node.name in _COUNTER_DUNDERS:
            self._add("unverifiable", node, f"def {node.name}", True)
        inner = _Walk(self.a, self.label, _Scope(node, self.scope), in_body=True)
        for stmt in node.body:
            inner.visit(stmt)
        self._merge(inner)

    def _arguments(self, args):
        for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(d)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self.visit(a.annotation)

    def visit_FunctionDef(self, node):
        self._function(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._arguments(node.args)
        inner = _Walk(self.a, self.label, _Scope(node, self.scope), in_body=True)
        inner.visit(node.body)
        self._merge(inner)

    def visit_ClassDef(self, node):
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(d)
        inner = _Walk(self.a, self.label, self.scope, in_body=self.in_body)
        for stmt in node.body:
            inner.visit(stmt)
        self._merge(inner)

    def _merge(self, inner):
        self.findings += inner.findings
        for name, entry in inner.refs.items():
            mine = self.refs.setdefault(name, {"late": True, "exposed": False})
            mine["late"] = mine["late"] and entry["late"]
            mine["exposed"] = mine["exposed"] or entry["exposed"]
        self.mutates |= inner.mutates


def _root_node(node):
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _unparse(node, limit=80):
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - exotic nodes
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------
# Which top-level code runs at load (mirrors autograder/worker/loader.py).


def _is_main_guard(node):
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


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


# ------------------------------------------------------------------------------------------
# The analysis of one submission.


@dataclass
class _Unit:
    label: str
    node: ast.AST
    binds: set
    executed: bool


class Analysis:
    """Parses the cells once; verdict(name, isolate) for each graded object."""

    def __init__(self, cells):
        self.units = []
        self.bound = set()           # every top-level name the student binds
        self.import_names = set()    # names bound by imports (module aliases)
        self.star_modules = []
        self._aliases = {}           # top-level name -> dotted paths
        self.parse_errors = []
        for cell in cells or []:
            label, source = str(cell[0]), cell[1]
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
                self.units.append(_Unit(label, node, self._binds(node),
                                        _runs_at_load(node, definitions_only)))
        for u in self.units:
            self.bound |= u.binds
        self._collect_aliases()
        self._walks = {}
        self._exec_walks = {}
        self._verdicts = {}
        self._runs = {}
        self._load_findings = None

    # -- bindings
    def _binds(self, node):
        names = set()
        for n in _own_nodes([node]):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                names.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                names.update(name for name, _ in _import_bindings(n) if name != "*")
        # names a function declares global and assigns (bound when it runs)
        for n in ast.walk(node):
            if isinstance(n, ast.Global):
                names.update(n.names)
        return names

    def _collect_aliases(self):
        for u in self.units:
            for n in _own_nodes([u.node]):
                if isinstance(n, (ast.Import, ast.ImportFrom)):
                    for name, path in _import_bindings(n):
                        if name == "*":
                            self.star_modules.append(path)
                        else:
                            self.import_names.add(name)
                            self._aliases.setdefault(name, set()).add(path)
        # top-level `x = torch.nn.functional` style aliases, to a fixpoint
        simple = []
        for u in self.units:
            for n in _own_nodes([u.node]):
                if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Name, ast.Attribute)):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            simple.append((t.id, n.value))
        changed = True
        while changed:
            changed = False
            for name, value in simple:
                paths = self._expr_paths(value)
                have = self._aliases.setdefault(name, set())
                if not paths <= have:
                    have |= paths
                    changed = True

    def _expr_paths(self, node):
        if isinstance(node, ast.Name):
            return set(self._aliases.get(node.id, ()))
        if isinstance(node, ast.Attribute):
            return {f"{p}.{node.attr}" for p in self._expr_paths(node.value)}
        return set()

    def module_paths(self, name):
        return set(self._aliases.get(name, ()))

    # -- walking
    def _walk(self, i):
        """Full walk of top-level unit i (function bodies included)."""
        if i not in self._walks:
            u = self.units[i]
            self._walks[i] = self._guarded_walk(u, [u.node])
        return self._walks[i]

    def _guarded_walk(self, unit, parts):
        w = _Walk(self, unit.label, _Scope(None, None))
        try:
            for part in parts:
                w.visit(part)
        except RecursionError:  # absurdly nested code cannot be read, so it cannot be vouched for
            w = _Walk(self, unit.label, _Scope(None, None))
            w.findings.append(Finding("unverifiable", "código anidado demasiado profundo", unit.label,
                                      getattr(unit.node, "lineno", 0) or 0))
        return w

    def _exec_walk(self, i):
        """Walk of what unit i runs at load: everything but function bodies."""
        if i not in self._exec_walks:
            u = self.units[i]
            self._exec_walks[i] = self._guarded_walk(u, _executed_parts(u.node))
        return self._exec_walks[i]

    def _binders(self, name):
        return [i for i, u in enumerate(self.units) if name in u.binds]

    def _closure(self, start_units, isolate=(), start_names=()):
        """Top-level units reachable from start units/names through the names they read."""
        isolate = set(isolate)
        seen_units, seen_names = set(), set()
        todo_units = list(start_units)
        todo_names = list(start_names)
        while todo_units or todo_names:
            while todo_names:
                name = todo_names.pop()
                if name in seen_names:
                    continue
                seen_names.add(name)
                todo_units += [i for i in self._binders(name) if i not in seen_units]
            while todo_units:
                i = todo_units.pop()
                if i in seen_units:
                    continue
                seen_units.add(i)
                w = self._walk(i)
                for name, entry in w.refs.items():
                    if name in isolate and entry["late"]:
                        continue  # the grader substitutes its own helper for this name
                    if name not in seen_names:
                        todo_names.append(name)
        return seen_units, seen_names

    # -- load-time taint
    def load_findings(self):
        """Unverifiable findings in code that runs when the submission is loaded."""
        if self._load_findings is None:
            found = []
            for i, u in enumerate(self.units):
                if not u.executed:
                    continue
                w = self._exec_walk(i)
                found += [f for f in w.findings if f.kind == "unverifiable"]
                called = [n for n in w.refs if n not in self.import_names]
                units, _ = self._closure([], start_names=called)
                for j in units:
                    found += [f for f in self._walk(j).findings if f.kind == "unverifiable"]
            self._load_findings = _dedupe(
                Finding(f.kind, f.construct, f.label, f.line, f.counter, True) for f in found)
        return self._load_findings

    def _runs_with(self, i):
        """What executed top-level statement i may mutate or hand out when it runs: its own
        load-time parts and the student functions it refers to (they may be called)."""
        if i not in self._runs:
            w = self._exec_walk(i)
            walks = [w]
            units, _ = self._closure([], start_names=[n for n in w.refs if n not in self.import_names])
            walks += [self._walk(j) for j in units]
            mutates, exposed = set(), set()
            for x in walks:
                mutates |= x.mutates
                exposed |= {n for n, e in x.refs.items() if e["exposed"]}
            self._runs[i] = {"mutates": mutates, "exposed": exposed}
        return self._runs[i]

    def verdict(self, name, isolate=()) -> Verdict:
        key = (name, tuple(sorted(isolate)))
        if key in self._verdicts:
            return self._verdicts[key]
        units, names = self._closure([], isolate, start_names=[name])
        # top-level statements that run at load and may change a reachable name join it
        changed = True
        while changed:
            changed = False
            for i, u in enumerate(self.units):
                if i in units or not u.executed:
                    continue
                runs = self._runs_with(i)
                if runs["mutates"] & names or (runs["exposed"] & names) - self.import_names:
                    extra, extra_names = self._closure([i], isolate)
                    units |= extra
                    names |= extra_names
                    changed = True
        found = []
        for i in sorted(units):
            found += self._walk(i).findings
        found += self.load_findings()
        v = Verdict(name, _dedupe(found))
        self._verdicts[key] = v
        return v

    def tamper_findings(self):
        """Every unverifiable construct anywhere in the submission (reachable or not): code that
        could reach the grader's worker, its probes or its pipes."""
        found = []
        for i in range(len(self.units)):
            found += [f for f in self._walk(i).findings if f.kind == "unverifiable"]
        return _dedupe(found)


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


def _dedupe(findings):
    out, seen = [], set()
    for f in findings:
        key = (f.kind, f.construct, f.label, f.line)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def check(cells, name, isolate=()) -> Verdict:
    """The verdict of one graded object (parses the cells; use Analysis for several)."""
    return Analysis(cells).verdict(name, isolate)


# ------------------------------------------------------------------------------------------
# Messages.


def describe(verdict: Verdict, lang="es") -> str:
    f = verdict.first
    if f is None:
        return ""
    name = verdict.name
    others = [g for g in verdict.findings if g is not f][:3]
    more_es = more_en = ""
    if others:
        more_es = "\nTambién: " + "; ".join(f"`{g.construct}` ({g.where_es()})" for g in others)
        more_en = "\nAlso: " + "; ".join(f"`{g.construct}` ({g.where_en()})" for g in others)
    load_es = (" Ese código se ejecuta al cargar tu entrega, así que afecta a todas las funciones "
               "calificadas.") if f.at_load else ""
    load_en = (" That code runs when your submission is loaded, so it affects every graded "
               "function.") if f.at_load else ""
    counter_es = (" Además oculta el trabajo de tu función al contador del corrector.") if f.counter else ""
    counter_en = (" It also hides your function's work from the grader's counter.") if f.counter else ""
    if f.kind == "forbidden":
        es = (f"{name} usa `{f.construct}` ({f.where_es()}). El ejercicio pide implementar la "
              f"operación tú mismo/a, sin las funciones de convolución/pooling de PyTorch (ni "
              f"otras bibliotecas): usa bucles, slicing, sumas, matmul, Tensor.unfold o einsum.")
        en = (f"{name} uses `{f.construct}` ({f.where_en()}). The exercise asks you to implement "
              f"the operation yourself, without PyTorch's (or another library's) convolution/"
              f"pooling functions: use loops, slicing, sums, matmul, Tensor.unfold or einsum.")
    else:
        es = (f"No podemos verificar que {name} implemente la operación por sí misma porque usa "
              f"`{f.construct}` ({f.where_es()}).{load_es}{counter_es} Escribe el código de forma "
              f"directa: sin getattr/__import__/importlib/eval, sin módulos privados de torch "
              f"(torch._C, torch.ops) y sin modificar torch ni el corrector.")
        en = (f"We cannot verify that {name} implements the operation itself because it uses "
              f"`{f.construct}` ({f.where_en()}).{load_en}{counter_en} Write the code directly: "
              f"no getattr/__import__/importlib/eval, no private torch modules (torch._C, "
              f"torch.ops) and no changes to torch or the grader.")
    return (en + more_en) if lang == "en" else (es + more_es)
