"""The map and the trust boundary, checked: docs/architecture.md's tree names every module of
autograder/ (and nothing that does not exist), and the code that runs inside a sandbox imports
nothing of the trusted side (issue 21's import contract)."""
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "autograder"


def _tree_block() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("```", 2)[1]


def _patterns(block):
    """The .py names of the map as regexes: <id> is an assignment id, * anything."""
    from autograder.grading.registry import ids
    ids_rx = "(?:" + "|".join(map(re.escape, ids())) + ")"
    names = set(re.findall(r"[\w<>*.-]*\.py\b", block))
    out = {}
    for name in names:
        base = name.rsplit("/", 1)[-1]
        rx = re.escape(base).replace(re.escape("<id>"), ids_rx).replace(re.escape("*"), "[a-z0-9_]*")
        out[base] = re.compile(rx + r"\Z")
    return out


def test_the_map_names_every_module_of_the_grader():
    patterns = _patterns(_tree_block())
    missing = [str(p.relative_to(ROOT)) for p in sorted(PKG.rglob("*.py"))
               if p.name != "__init__.py" and "__pycache__" not in p.parts
               and not any(rx.match(p.name) for rx in patterns.values())]
    assert not missing, f"docs/architecture.md's tree does not name: {missing}"


def test_the_map_names_no_module_that_does_not_exist():
    tracked = {p.name for top in ("autograder", "assignments", "reference", "bench", "tests")
               for p in (ROOT / top).rglob("*.py")}
    ghosts = [name for name in _patterns(_tree_block()) if "<" not in name and "*" not in name
              and name not in tracked]
    assert not ghosts, f"docs/architecture.md names modules that do not exist: {ghosts}"


def _imports(path: Path):
    """(level, module, names, at module level?) of every import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
