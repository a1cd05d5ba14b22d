"""Similarity hints (autograder/pages/similarity.py): winnowed token fingerprints pair copies
that differ only in names, comments and formatting; they do not pair independent solutions, and
the released stubs (which every student starts from) never make two submissions look alike."""
import ast
import shutil
from pathlib import Path

import pytest

from autograder.grading import scoring
from autograder.intake.submission import load_submission
from autograder.pages import similarity

ROOT = Path(__file__).resolve().parents[2]
ALTERNATIVES = ROOT / "tests" / "corpus" / "alternatives"


def graded(path, assignment):
    sub = load_submission(str(path), assignment)
    return similarity.graded_source(sub.cells, list(scoring.POINTS[assignment]))


class Rename(ast.NodeTransformer):
    """Gives every argument and assigned local of a function a new name (what a student
    disguising a copy would do); globals, builtins and attributes keep theirs."""

    def __init__(self, local):
        self.names = {name: f"var_{i}_{name[::-1].lower()}x" for i, name in enumerate(sorted(local))}

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node


def local_names(func):
    found = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    found |= {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return found


def disguised_copy(source: str) -> str:
    """source with variables renamed, reformatted by ast.unparse (comments and blank lines
    gone, spacing changed), then new comments and blank lines added."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            Rename(local_names(node)).visit(node)
    lines = []
    for line in ast.unparse(tree).splitlines():
        lines.append(line)
        if line.strip().startswith(("for ", "return")):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(indent + "# mi propio comentario, escrito por mí")
            lines.append("")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("assignment", ["ps1_corr2d", "ps3_channels", "ps4_pooling"])
def test_renamed_and_reformatted_copy_is_paired(assignment, tmp_path):
    original = graded(ROOT / "reference" / f"{assignment}.py", assignment)
    copy = disguised_copy(original)
    assert copy != original and "var_" in copy  # really disguised
    (tmp_path / "copia.py").write_text(copy, encoding="utf-8")
    objects = list(scoring.POINTS[assignment])
    sources = {"ana": original, "beto": graded(tmp_path / "copia.py", assignment)}
    pairs = similarity.compare(sources, similarity.release_sources(assignment, objects))
    assert [(p.a, p.b) for p in pairs] == [("ana", "beto")]
    assert pairs[0].similarity >= 0.9
    # the fragment shown side by side is real code from each side
    assert pairs[0].fragment_a.strip() and pairs[0].fragment_a in original
    assert pairs[0].fragment_b.strip() and pairs[0].fragment_b in sources["beto"]


@pytest.mark.parametrize("path", sorted(ALTERNATIVES.glob("*/*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_independent_solutions_are_not_paired(path):
    assignment = path.parent.name
    objects = list(scoring.POINTS[assignment])
    sources = {"referencia": graded(ROOT / "reference" / f"{assignment}.py", assignment),
               "alternativa": graded(path, assignment)}
    assert all(sources.values())
    assert similarity.compare(sources, similarity.release_sources(assignment, objects)) == []


@pytest.mark.parametrize("assignment", scoring.ASSIGNMENTS)
def test_untouched_releases_are_not_paired(assignment, tmp_path):
    release = ROOT / "examples" / assignment / "sin_resolver.ipynb"
    shutil.copy(release, tmp_path / "otra.ipynb")
    objects = list(scoring.POINTS[assignment])
    sources = {"ana": graded(release, assignment), "beto": graded(tmp_path / "otra.ipynb", assignment)}
    stubs = similarity.release_sources(assignment, objects)
    assert stubs
    assert similarity.compare(sources, stubs) == []
    # what keeps them apart is the subtraction of the stubs, not a lack of code
    assert similarity.compare(sources, (), min_shared=1) != []


def test_normalisation_ignores_names_comments_and_layout():
    a = "def f(x, y):\n    total = x + y  # suma\n    return total * 2\n"
    b = "def f(alpha,beta):\n\n    # otra cosa\n    s=(alpha+beta)\n    return s*2\n"
    c = "def f(x, y):\n    total = x - y\n    return total * 2\n"
    norm = lambda src: [t.text for t in similarity.normalise(src)]  # noqa: E731
    assert norm(a) != norm(c)
    assert norm(a) == norm(b)


def test_winnowing_guarantee():
    """Any shared run of WINDOW + K - 1 normalised tokens shares at least one fingerprint."""
    import random
    rng = random.Random(3)
    words = [str(i) for i in range(40)]  # numbers keep their value when normalised
    for _ in range(30):
        shared = " ".join(rng.choice(words) + ("," if rng.random() < .3 else "")
                          for _ in range(similarity.WINDOW + similarity.K + 5))
        left = " + ".join(rng.choice(words) for _ in range(rng.randrange(0, 20)))
        right = " - ".join(rng.choice(words) for _ in range(rng.randrange(0, 20)))
        a = similarity.fingerprints(f"[{left}]\n[{shared}]\n")
        b = similarity.fingerprints(f"({right})\n[{shared}]\n")
        assert set(a.hashes) & set(b.hashes)
