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
    from autograder.registry import ids
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
    """worker/ (the grader's sandbox) and kernel_boot/ (the nbgrader kernels' sandbox, where
    worker/confine.py and worker/zygote.py are mounted beside it) see only themselves: an import
    of the grader would fail there, or worse, work on a machine where it is installed."""
    mounted_beside = {"kernel_boot": {"confine", "zygote"}, "worker": set()}
    for folder, extra in mounted_beside.items():
        own = {p.stem for p in (PKG / folder).glob("*.py")} | extra
        for path in sorted((PKG / folder).glob("*.py")):
            for level, module, names, _ in _imports(path):
                where = f"{path.relative_to(ROOT)}: level {level} {module!r} {names}"
                if level == 0:
                    assert _stdlib_or_third_party(module), where
                else:
                    assert level == 1, where                      # never above its own package
                    first = module.split(".")[0] if module else None
                    assert (first in own) if first else set(names) <= own, where


def test_the_kernels_hook_loads_with_the_standard_library_alone():
    """nbgrader_hook.py is mounted alone in the kernel's stub package: at module level it may
    import only the standard library (what it needs of the grader it imports lazily, on the
    trusted side)."""
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for level, module, names, at_top in _imports(PKG / "nbgrader_hook.py"):
        if at_top:
            assert level == 0 and module.split(".")[0] in stdlib, (level, module, names)
