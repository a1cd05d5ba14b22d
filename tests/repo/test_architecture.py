"""The map, the trust boundary and the layers, checked: docs/architecture.md's tree names every module of
autograder/ (and nothing that does not exist), and the code that runs inside a sandbox imports
nothing of the trusted side (issue 21's import contract)."""
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "autograder"


def _tree_block() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("```", 2)[1]


DESCRIPTION_COLUMN = 29      # where the tree's descriptions start


def _documented(block) -> set[str]:
    """The paths the tree names under autograder/: an entry is a name ending in .py or / at the
    start of a line, its place given by its indentation (two spaces a level); a folder's
    description may name its files too (`pages/ ... build.py ...`)."""
    stack: list[str] = []
    out: set[str] = set()
    folder = None                 # the folder whose description is being read
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        words = line.split()
        if not words:
            continue
        first = words[0]
        if indent < DESCRIPTION_COLUMN and (first.endswith(".py") or first.endswith("/")):
            depth = indent // 2
            stack = stack[:depth] + [first.rstrip("/")]
            path = "/".join(stack)
            folder = path if first.endswith("/") else None
            if first.endswith(".py"):
                out.add(path)
            description = line[DESCRIPTION_COLUMN:]
        elif indent >= DESCRIPTION_COLUMN:
            description = line
        else:
            folder, description = None, ""
        if folder and folder.startswith("autograder"):
            out |= {f"{folder}/{name}" for name in re.findall(r"(?<![\w/<>*.-])([\w<>*-]+\.py)\b", description)}
    return {p for p in out if p.startswith("autograder/")}


def _as_regex(path: str, ids) -> re.Pattern:
    rx = re.escape(path).replace(re.escape("<id>"), "(?:" + "|".join(map(re.escape, ids)) + ")")
    return re.compile(rx.replace(re.escape("*"), "[a-z0-9_]*") + r"\Z")


def _modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                  if p.name != "__init__.py" and "__pycache__" not in p.parts)


def test_the_map_names_every_module_of_the_grader():
    """The tree of docs/architecture.md, read as paths, is `find autograder -name '*.py'` (less the
    __init__.py files): every module where the map puts it."""
    from autograder.grading.registry import ids
    patterns = [_as_regex(p, ids()) for p in _documented(_tree_block())]
    missing = [m for m in _modules() if not any(rx.match(m) for rx in patterns)]
    assert not missing, f"docs/architecture.md's tree does not name: {missing}"


def test_the_map_names_no_module_that_does_not_exist():
    ghosts = sorted(p for p in _documented(_tree_block()) if "<" not in p and "*" not in p
                    and not (ROOT / p).is_file())
    assert not ghosts, f"docs/architecture.md names modules that do not exist: {ghosts}"


def test_the_map_reader_places_nested_entries():
    rows = [("autograder/", "x"), ("  cli/", "commands"), ("    main.py", "grade"),
            ("  pages/", "pages: build.py (index),"), ("", "figures.py and a link to worker/zygote.py")]
    block = "".join(name.ljust(DESCRIPTION_COLUMN) + text + "\n" for name, text in rows)
    assert _documented(block) == {"autograder/cli/main.py", "autograder/pages/build.py",
                                  "autograder/pages/figures.py"}


def _imports(path: Path, text: str | None = None):
    """(level, module, names, at module level?) of every import of a file (or of `text` as if it
    were that file)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, [], id(node) in top
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", [a.name for a in node.names], id(node) in top


def _stdlib_or_third_party(module: str) -> bool:
    return module.split(".")[0] != "autograder"


def test_sandboxed_code_imports_nothing_of_the_trusted_side():
    """sandboxed/ is what sandboxes see: worker/ (the grader's sandbox), kernel_boot/ (the nbgrader
    kernels' sandbox, where worker/confine.py and worker/zygote.py are mounted beside it) and
    kernel_hook.py (mounted alone as the kernels' `autograder/nbgrader_hook.py`). An import of the
    grader would fail there, or worse, work on a machine where it is installed."""
    sandboxed = PKG / "sandboxed"
    mounted_beside = {"kernel_boot": {"confine", "zygote"}, "worker": set()}
    for folder, extra in mounted_beside.items():
        own = {p.stem for p in (sandboxed / folder).glob("*.py")} | extra
        for path in sorted((sandboxed / folder).glob("*.py")):
            for level, module, names, _ in _imports(path):
                where = f"{path.relative_to(ROOT)}: level {level} {module!r} {names}"
                if level == 0:
                    assert _stdlib_or_third_party(module), where
                else:
                    assert level == 1, where                      # never above its own package
                    first = module.split(".")[0] if module else None
                    assert (first in own) if first else set(names) <= own, where
    assert {p.name for p in sandboxed.glob("*.py")} == {"__init__.py", "kernel_hook.py"}
    assert {p.name for p in sandboxed.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(mounted_beside)


def test_the_kernels_hook_loads_with_the_standard_library_alone():
    """kernel_hook.py is mounted alone in the kernel's stub package: it imports only the standard
    library, anywhere in the file."""
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for level, module, names, _ in _imports(PKG / "sandboxed" / "kernel_hook.py"):
        assert level == 0 and module.split(".")[0] in stdlib, (level, module, names)


# The layers, top first. A module may import its own layer and those below it, never above; the
# routes of one layer are independent of each other; sandboxed/ imports nothing of the grader.
# (The contract import-linter calls "layers", checked here with the standard library.)
LAYERS = [
    {"__main__", "cli", "nbgrader_hook", "nbgrader_kernel", "nbgrader_feedback"},  # commands, released names
    {"nbgrader", "gradescope", "cluster"},        # the routes (independent)
    {"pages"},
    {"mutation"},
    {"grading", "suites"},                        # the engine runs the suites; they read the registry
    {"training"},
    {"sandbox", "intake"},
    {"text"},
    {"locations", "sandboxed"},
]
INDEPENDENT = {"nbgrader", "gradescope", "cluster"}


def _part(module: str) -> str | None:
    """autograder.<part>... -> <part>; None outside the grader."""
    parts = module.split(".")
    return parts[1] if parts[0] == "autograder" and len(parts) > 1 else None


def _absolute_imports(path: Path, text: str | None = None):
    """Every autograder module a file imports (at module level or inside a function)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    for level, name, names, _ in _imports(path, text):
        if level:
            base = package.split(".")
            base = base[:len(base) - (level - 1)]
            name = ".".join(base + ([name] if name else []))
        if name == "autograder":
            yield from (f"autograder.{n}" for n in names)
        elif name.startswith("autograder."):
            yield name


def test_lower_layers_never_import_upper_ones():
    rank = {part: i for i, layer in enumerate(LAYERS) for part in layer}
    on_disk = {p.stem if p.parent == PKG else p.relative_to(PKG).parts[0]
               for p in PKG.rglob("*.py") if p.name != "__init__.py" or p.parent != PKG}
    assert on_disk <= set(rank), f"parts of autograder/ in no layer: {sorted(on_disk - set(rank))}"
    wrong = []
    for path in sorted(PKG.rglob("*.py")):
        if path == PKG / "__init__.py":
            continue
        own = path.stem if path.parent == PKG else path.relative_to(PKG).parts[0]
        for target in _absolute_imports(path):
            part = _part(target)
            if part is None or part == own or part == "__init__":
                continue
            if rank[part] < rank[own] or (own in INDEPENDENT and part in INDEPENDENT):
                wrong.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_contract_would_catch_an_upward_import():
    """The check sees imports inside functions and relative ones: an upward import written either
    way is found (here text/ importing the suites and the engine, the cycle issue 21 removed)."""
    probe = PKG / "text" / "feedback.py"
    source = "def f():\n    from ..suites import plugin\n    import autograder.grading.engine\n"
    parts = {_part(t) for t in _absolute_imports(probe, source)}
    assert parts == {"suites", "grading"}
    rank = {part: i for i, layer in enumerate(LAYERS) for part in layer}
    assert all(rank[part] < rank["text"] for part in parts)


def test_the_tests_mirror_the_package():
    """Each folder of tests/ is a part of autograder/ (or kit/: the course content, repo/: the
    repository's own rules), and every test module sits in one of them."""
    tests = ROOT / "tests"
    parts = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and p.name not in ("corpus", "artifacts", "__pycache__")}
    assert folders <= parts | {"kit", "repo"}, folders - parts
    assert not list(tests.glob("test_*.py")), "a test module outside the folders"
    assert parts <= folders, f"parts of the grader without a tests folder: {parts - folders}"


def _module_graph():
    """{module: modules of the grader it imports}, every import counted (inside functions too)."""
    modules = {}
    for path in PKG.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        found = set()
        for target in _absolute_imports(path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):   # a parent package: its __init__
                found.add(target)
        graph[name] = found
    return graph


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_between_modules():
    """Not even through imports inside functions (issue 21: feedback <-> suites, nbgrader_hook <->
    nbgrader_snapshot were hidden that way)."""
    assert _cycles(_module_graph()) == []
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
