"""Similarity hints between submissions: token fingerprints with winnowing (the method of MOSS,
Schleimer, Wilkerson and Aiken 2003), written here on top of Python's tokenize.

Only the graded objects' source is compared (top-level defs/classes named in
autograder.grading.scoring.POINTS). Tokens are normalised so renaming variables, editing comments or
reformatting changes nothing: comments, blank lines, parentheses and docstrings are dropped, identifiers
that are not keywords, builtins, imported modules or attribute names become one symbol, and
literals keep their kind (numbers keep their value). Every k-gram of normalised tokens is
hashed; of every window of w consecutive hashes the smallest is kept (winnowing), so any
shared run of at least w + k - 1 tokens shares a fingerprint. The fingerprints of the released
stubs (what every student starts from) are subtracted, and so is common code: a fingerprint
held by more submissions than common_limit (MOSS's -m, sized to the class) is the standard
solution, not a copy. An inverted index from fingerprint to submissions means only pairs that
share a rare fingerprint are ever scored. A pair is reported when the share of fingerprints in
common is high; pairs are grouped into clusters (connected groups). A hint for a human to
review, never a verdict.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import math
import tokenize
from dataclasses import dataclass, field

from autograder import locations

K = 10        # tokens per k-gram
WINDOW = 6    # winnowing window (hashes); guaranteed match length: WINDOW + K - 1 tokens
MIN_SHARED = 8          # fewer shared fingerprints than this is never a hint
MIN_SIMILARITY = 0.6    # share of the smaller submission's fingerprints
MIN_COMMON = 10         # a fingerprint in more submissions than this may be common code (MOSS -m)
COMMON_SHARE = 0.02     # ... and is when also held by more than this share of the class

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


_TOKEN_IDS: dict = {}
_MOD = (1 << 61) - 1
_BASE = 1_000_003


def _token_id(text: str) -> int:
    """A stable (across processes) number for a normalised token: cached fingerprint cache
    files and pool workers must agree on every hash."""
    found = _TOKEN_IDS.get(text)
    if found is None:
        found = _TOKEN_IDS[text] = int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=7).digest(), "big") + 1
    return found


def _kgram_hashes(tokens, k):
    """Rolling (Rabin-Karp) hash of every k-gram of tokens, mod 2**61 - 1."""
    ids = [_token_id(t.text) for t in tokens]
    if len(ids) < k:
        return []
    top = pow(_BASE, k - 1, _MOD)
    h = 0
    for x in ids[:k]:
        h = (h * _BASE + x) % _MOD
    out = [h]
    for i in range(k, len(ids)):
        h = ((h - ids[i - k] * top) * _BASE + ids[i]) % _MOD
        out.append(h)
    return out


def _segments(tokens) -> list[tuple[int, int]]:
    """(start, end) token ranges of the top-level definitions. No k-gram spans two of them: the
    seam between two common functions is not a passage anyone wrote, and would otherwise make
    two students who picked the same standard versions look alike."""
    starts, depth = [0], 0
    for i, tok in enumerate(tokens):
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
        elif depth == 0 and i and tok.text in ("def", "class", "@") \
                and tokens[i - 1].text in (";", "}") and starts[-1] != i:
            starts.append(i)
    return list(zip(starts, starts[1:] + [len(tokens)]))


def _winnow(grams, offset, window, hashes) -> None:
    """Adds the winnowed hashes of grams (positions shifted by offset) to hashes."""
    if not grams:
        return
    if len(grams) <= window:
        low = min(grams)
        hashes.setdefault(low, []).append(offset + len(grams) - 1 - grams[::-1].index(low))
        return
    last = None
    for start in range(len(grams) - window + 1):
        # the rightmost minimum of the window, recorded once per position (robust winnowing)
        part = grams[start:start + window]
        low = min(part)
        i = start + window - 1 - part[::-1].index(low)
        if i != last:
            hashes.setdefault(low, []).append(offset + i)
            last = i


def fingerprints(source: str, k: int = K, window: int = WINDOW) -> Fingerprints:
    """Winnowed fingerprints of source: hash -> positions (token index of the k-gram), each
    top-level definition winnowed on its own."""
    tokens = normalise(source)
    fp = Fingerprints(source=source, tokens=tokens)
    for start, end in _segments(tokens):
        _winnow(_kgram_hashes(tokens[start:end], k), start, window, fp.hashes)
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


def common_limit(n: int, share: float | None = None, minimum: int | None = None) -> int:
    """How many submissions may share a fingerprint before it counts as common code (MOSS's
    -m): the larger of `minimum` (MOSS's default 10) and `share` of the class, so the standard
    solution of a class of 10,000 is common code while a group of a dozen who share an
    unusual passage is still found."""
    share = COMMON_SHARE if share is None else share
    minimum = MIN_COMMON if minimum is None else minimum
    return max(minimum, math.ceil(share * n))


def score_pairs(prints: dict, excluded=frozenset(), limit=None, min_similarity=MIN_SIMILARITY,
                min_shared=MIN_SHARED) -> list[tuple]:
    """Pairs of submissions that share enough rare fingerprints, found through an inverted
    index (fingerprint -> submissions): only pairs that share a fingerprint are ever looked at.

    prints: {name: set of fingerprint hashes}; excluded: hashes of the released stubs; limit:
    a fingerprint held by more than `limit` submissions is common code (common_limit(len(prints))
    when None). Stub and common fingerprints count for nobody, in the shared count as in each
    side's size. -> [(a, b, similarity, shared)], most similar first; similarity is shared over
    the smaller side's remaining fingerprints."""
    limit = common_limit(len(prints)) if limit is None else limit
    index: dict = {}
    for name, hashes in prints.items():
        for h in hashes:
            index.setdefault(h, []).append(name)
    common = {h for h, names in index.items() if len(names) > limit} | set(excluded)
    sizes = {name: len(hashes - common) if common else len(hashes) for name, hashes in prints.items()}
    counts: dict = {}
    for h, names in index.items():
        if len(names) < 2 or h in common:
            continue
        names.sort()
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                counts[a, b] = counts.get((a, b), 0) + 1
    out = []
    for (a, b), shared in counts.items():
        if shared < min_shared:
            continue
        score = shared / min(sizes[a], sizes[b])
        if score >= min_similarity:
            out.append((a, b, round(score, 3), shared))
    out.sort(key=lambda p: (-p[2], -p[3], p[0], p[1]))
    return out


def pair_detail(a, b, source_a, source_b, similarity, shared) -> Pair:
    """A Pair with the longest shared stretch of each side (what the page shows side by side)."""
    fa, fb = fingerprints(source_a), fingerprints(source_b)
    common = set(fa.hashes) & set(fb.hashes)
    span_a, span_b = _fragment(fa, fb, common)
    return Pair(a, b, similarity, shared, _lines(source_a, span_a), _lines(source_b, span_b),
                span_a, span_b)


def compare(sources: dict, excluded=(), min_similarity=MIN_SIMILARITY, min_shared=MIN_SHARED,
            limit=None):
    """Pairs of near-identical submissions, most similar first.
    sources: {name: compared source}; excluded: sources whose fingerprints are subtracted
    (the released stubs); limit: see score_pairs."""
    stub = set()
    for src in excluded:
        stub.update(fingerprints(src).hashes)
    prints = {name: set(fingerprints(src).hashes) for name, src in sources.items()}
    prints = {name: hashes for name, hashes in prints.items() if hashes - stub}
    found = score_pairs(prints, stub, limit, min_similarity, min_shared)
    return [pair_detail(a, b, sources[a], sources[b], score, shared) for a, b, score, shared in found]


@dataclass
class Cluster:
    """A connected group of similar submissions (each linked to another by a pair)."""
    members: list               # names, sorted
    pairs: list                 # (a, b, similarity, shared), strongest first

    @property
    def best(self):
        return self.pairs[0]


def clusters(pairs) -> list[Cluster]:
    """Connected groups of the pairs (union-find), the strongest first: ranked by the rare
    fingerprints their strongest pair shares, then its similarity, then size. pairs: the
    tuples of score_pairs (or Pair objects)."""
    rows = [(p.a, p.b, p.similarity, p.shared) if isinstance(p, Pair) else tuple(p) for p in pairs]
    parent: dict = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _s, _n in rows:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict = {}
    for row in rows:
        groups.setdefault(root(row[0]), []).append(row)
    out = []
    for group in groups.values():
        group.sort(key=lambda p: (-p[3], -p[2], p[0], p[1]))
        out.append(Cluster(sorted({n for p in group for n in p[:2]}), group))
    out.sort(key=lambda c: (-c.best[3], -c.best[2], -len(c.members), c.members[0]))
    return out


def release_sources(assignment, objects, root=None) -> list[str]:
    """The stub code every student starts from: the release notebook of the assignment
    (examples/<id>/sin_resolver.ipynb) and the source notebook with its solution regions
    removed. Missing files are skipped."""
    import json
    import os
    import re

    from autograder.intake.submission import load_submission

    root = root or locations.PACKAGE_PARENT
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
