"""Similarity hints between submissions: token fingerprints with winnowing (the method of MOSS,
Schleimer, Wilkerson and Aiken 2003), written here on top of Python's tokenize.

Only the graded objects' source is compared (top-level defs/classes named in
autograder.scoring.POINTS). Tokens are normalised so renaming variables, editing comments or
reformatting changes nothing: comments, blank lines, parentheses and docstrings are dropped, identifiers
that are not keywords, builtins, imported modules or attribute names become one symbol, and
literals keep their kind (numbers keep their value). Every k-gram of normalised tokens is
hashed; of every window of w consecutive hashes the smallest is kept (winnowing), so any
shared run of at least w + k - 1 tokens shares a fingerprint. The fingerprints of the released
stubs (what every student starts from) are subtracted. A pair is reported when the share of
fingerprints in common is high: a hint for a human to review, never a verdict.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import tokenize
from dataclasses import dataclass, field

K = 10        # tokens per k-gram
WINDOW = 6    # winnowing window (hashes); guaranteed match length: WINDOW + K - 1 tokens
MIN_SHARED = 8          # fewer shared fingerprints than this is never a hint
MIN_SIMILARITY = 0.6    # share of the smaller submission's fingerprints

_KEEP_NAMES = set(dir(builtins)) | {"self", "torch", "nn", "F", "np", "numpy", "math"}


@dataclass
class Token:
    text: str       # normalised
    line: int       # 1-based line in the compared source


@dataclass
class Fingerprints:
    source: str                                   # the compared source (graded objects)
    hashes: dict = field(default_factory=dict)    # hash -> [token index of its k-gram start]
    tokens: list = field(default_factory=list)


def graded_source(cells, objects) -> str:
    """The source of the top-level functions/classes named in objects, in that order (the
    last definition of a name wins, as when the notebook runs). cells: [[label, source]]."""
    found = {}
    for cell in cells or []:
        src = cell[1]
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and node.name in objects:
                segment = ast.get_source_segment(src, node)
                if segment:
                    found[node.name] = segment
    return "\n\n".join(found[o] for o in objects if o in found)


def _docstring_lines(source: str) -> set:
    """Lines holding docstrings (student prose, and identical in every stub)."""
    lines = set()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return lines
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                                     ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return lines


def normalise(source: str) -> list[Token]:
    """The normalised token stream of source (empty when it cannot be tokenised)."""
    skip_lines = _docstring_lines(source)
    out: list[Token] = []
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = tok.type, tok.string
            if kind in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if kind == tokenize.STRING and tok.start[0] in skip_lines:
                continue
            if kind == tokenize.OP and text in "()":
                previous = text
                continue  # redundant parentheses are layout (ast.unparse and black add/drop them)
            if kind == tokenize.NEWLINE:
                if out and out[-1].text != ";":
                    out.append(Token(";", tok.start[0]))
                continue
            if kind in (tokenize.INDENT, tokenize.DEDENT):
                out.append(Token("{" if kind == tokenize.INDENT else "}", tok.start[0]))
                continue
            if kind == tokenize.NAME:
                if keyword.iskeyword(text) or text in _KEEP_NAMES or previous == ".":
                    norm = text
                else:
                    norm = "V"
            elif kind == tokenize.NUMBER:
                norm = text
            elif kind == tokenize.STRING or kind == getattr(tokenize, "FSTRING_START", -1):
                norm = "S"
            elif kind in (getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)):
                continue
            else:
                norm = text
            out.append(Token(norm, tok.start[0]))
            previous = text
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    return out


def _hash(tokens) -> int:
    digest = hashlib.blake2b("\x1f".join(t.text for t in tokens).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def fingerprints(source: str, k: int = K, window: int = WINDOW) -> Fingerprints:
    """Winnowed fingerprints of source: hash -> positions (token index of the k-gram)."""
    tokens = normalise(source)
    fp = Fingerprints(source=source, tokens=tokens)
    grams = [_hash(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    if not grams:
        return fp
    if len(grams) <= window:
        i = min(range(len(grams)), key=lambda j: (grams[j], -j))
        fp.hashes.setdefault(grams[i], []).append(i)
        return fp
    last = None
    for start in range(len(grams) - window + 1):
        # the rightmost minimum of the window, recorded once per position (robust winnowing)
        i = min(range(start, start + window), key=lambda j: (grams[j], -j))
        if i != last:
            fp.hashes.setdefault(grams[i], []).append(i)
            last = i
    return fp


@dataclass
class Pair:
    a: str
    b: str
    similarity: float          # shared / smaller fingerprint set
    shared: int
    fragment_a: str            # the longest shared stretch, as source lines of each side
    fragment_b: str
    lines_a: tuple
    lines_b: tuple


def _fragment(fa: Fingerprints, fb: Fingerprints, common, k=K):
    """Line ranges (a, b) of the longest run of shared fingerprints in a (and where it is in b)."""
    pos_a = sorted((p, h) for h in common for p in fa.hashes[h])
    best, run = [], []
    for p, h in pos_a:
        if run and p - run[-1][0] > 2 * WINDOW + k:
            run = []
        run.append((p, h))
        if len(run) > len(best):
            best = list(run)
    if not best:
        return (0, 0), (0, 0)
    a_start = fa.tokens[best[0][0]].line
    a_end = fa.tokens[min(best[-1][0] + k - 1, len(fa.tokens) - 1)].line
    b_positions = sorted(p for _p, h in best for p in fb.hashes[h])
    # the densest stretch in b: the positions of the hashes of the run, around their median
    mid = b_positions[len(b_positions) // 2]
    near = [p for p in b_positions if abs(p - mid) <= (best[-1][0] - best[0][0]) + 2 * WINDOW + k]
    b_start = fb.tokens[min(near)].line
    b_end = fb.tokens[min(max(near) + k - 1, len(fb.tokens) - 1)].line
    return (a_start, a_end), (b_start, b_end)


def _lines(source, span):
    lines = source.splitlines()
    return "\n".join(lines[span[0] - 1:span[1]])


def compare(sources: dict, excluded=(), min_similarity=MIN_SIMILARITY, min_shared=MIN_SHARED):
    """Pairs of near-identical submissions, most similar first.
    sources: {name: compared source}; excluded: sources whose fingerprints are subtracted
    (the released stubs)."""
    stub = set()
    for src in excluded:
        stub.update(fingerprints(src).hashes)
    prints = {}
    for name, src in sources.items():
        fp = fingerprints(src)
        for h in stub:
            fp.hashes.pop(h, None)
        if fp.hashes:
            prints[name] = fp
    names = sorted(prints)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            fa, fb = prints[a], prints[b]
            common = set(fa.hashes) & set(fb.hashes)
            if len(common) < min_shared:
                continue
            score = len(common) / min(len(fa.hashes), len(fb.hashes))
            if score < min_similarity:
                continue
            span_a, span_b = _fragment(fa, fb, common)
            pairs.append(Pair(a, b, round(score, 3), len(common), _lines(fa.source, span_a),
                              _lines(fb.source, span_b), span_a, span_b))
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.a, p.b))
    return pairs


def release_sources(assignment, objects, root=None) -> list[str]:
    """The stub code every student starts from: the release notebook of the assignment
    (examples/<id>/sin_resolver.ipynb) and the source notebook with its solution regions
    removed. Missing files are skipped."""
    import json
    import os
    import re

    from ..submission import load_submission

    root = root or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = []
    release = os.path.join(root, "examples", assignment, "sin_resolver.ipynb")
    if os.path.isfile(release):
        sub = load_submission(release, assignment)
        if sub.cells:
            out.append(graded_source(sub.cells, objects))
    source_nb = os.path.join(root, "assignments", "source", assignment, f"{assignment}.ipynb")
    try:
        with open(source_nb, encoding="utf-8") as f:
            nb = json.load(f)
    except (OSError, ValueError):
        return [s for s in out if s]
    pattern = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M)
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        src = pattern.sub(lambda m: re.match(r"[ \t]*", m.group(0)).group(0)
                          + "raise NotImplementedError()\n", src)
        cells.append(["", src])
    out.append(graded_source(cells, objects))
    return [s for s in out if s]
