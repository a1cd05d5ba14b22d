"""A synthetic ps1 class for the scale bench and the scale tests: N submissions (.py files) and
their results folders (results.json + meta.json, as `autograder grade --out` writes them),
without grading anything.

The sources are what a class hands in: several honest styles of each function (loops, four
nested loops, unfold, a comprehension; names, comments, spacing and small expressions varied
per student), the typical mistakes (off by one, a kernel flipped on one axis, gradient
ascent), untouched release stubs, and planted copies: pairs (and one group of five) that share
an unusual passage written by one of them, one copy renamed and reformatted (ast.unparse, new
names, new comments). The results match the kind of submission (full marks, the mistakes'
failing tests with their misconception and tensors, zero for a stub).

    python bench/synthetic_class.py N DIR     # writes DIR/subs/*.py and DIR/out/<name>/
"""
from __future__ import annotations

import ast
import json
import os
import random
import sys

ASSIGNMENT = "ps1_corr2d"
OBJECTS = ["corr2d", "conv2d_strict", "learn_kernel"]
# (object, points, title) of the ps1 suite's tests (autograder/suites/ps1_corr2d/test_ps1_corr2d.py)
TESTS = [
    ("corr2d", 2, "ejemplo del curso (X 3x3, K 2x2)"),
    ("corr2d", 2, "detector de bordes verticales con K = [[1, -1]]"),
    ("corr2d", 4, "entradas aleatorias no cuadradas (float32 y float64)"),
    ("corr2d", 2, "kernel 1x1, kernel tan grande como X y una entrada grande"),
    ("conv2d_strict", 1, "ejemplo del curso (kernel volteado en ambos ejes)"),
    ("conv2d_strict", 3, "entradas y kernels aleatorios no cuadrados"),
    ("learn_kernel", 3, "aprende [[1, -1]] en el ejemplo de los bordes"),
    ("learn_kernel", 2, "cada paso es w <- w - lr * gradiente de la suma de errores al cuadrado"),
    ("learn_kernel", 1, "valores por defecto lr=3e-2 y num_iters=10"),
]
X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
K = [[0, 1], [2, 3]]

NAMES = {"X": ["X", "img", "imagen", "entrada", "A", "x"], "K": ["K", "kernel", "filtro", "k", "B"],
         "Y": ["Y", "out", "salida", "res", "resultado", "Z"], "h": ["h", "kh", "alto", "fil"],
         "w": ["w", "kw", "ancho", "col"], "i": ["i", "r", "fila", "y0"], "j": ["j", "c", "columna", "x0"],
         "conv": ["conv", "capa", "layer", "modelo"], "loss": ["loss", "perdida", "error", "l"]}
COMMENTS = ["# recorro la imagen", "# calculo la salida", "# TODO revisar", "# ventana actual",
            "# suma de productos", "# tamaño de salida", "# listo", "# paso de gradiente"]

CORR2D = [  # honest styles; {plus1} is "+ 1" (an off-by-one mistake drops it)
    """def corr2d({X}, {K}):
    {h}, {w} = {K}.shape
    {Y} = torch.zeros(({X}.shape[0] - {h} {plus1}, {X}.shape[1] - {w} {plus1}))
    for {i} in range({Y}.shape[0]):
        for {j} in range({Y}.shape[1]):
            {Y}[{i}, {j}] = ({X}[{i}:{i} + {h}, {j}:{j} + {w}] * {K}).sum()
    return {Y}
""",
    """def corr2d({X}, {K}):
    {h}, {w} = {K}.shape
    {Y} = torch.zeros({X}.shape[0] - {h} {plus1}, {X}.shape[1] - {w} {plus1})
    for {i} in range({X}.shape[0] - {h} {plus1}):
        for {j} in range({X}.shape[1] - {w} {plus1}):
            for a in range({h}):
                for b in range({w}):
                    {Y}[{i}, {j}] += {X}[{i} + a, {j} + b] * {K}[a, b]
    return {Y}
""",
    """def corr2d({X}, {K}):
    {h}, {w} = {K}.shape
    {Y} = {X}.unfold(0, {h}, 1).unfold(1, {w}, 1)
    return ({Y} * {K}).sum(dim=(-1, -2))
""",
    """def corr2d({X}, {K}):
    {h}, {w} = {K}.shape
    {Y} = [[torch.sum({X}[{i}:{i} + {h}, {j}:{j} + {w}] * {K}) for {j} in range({X}.shape[1] - {w} {plus1})]
           for {i} in range({X}.shape[0] - {h} {plus1})]
    return torch.tensor({Y})
""",
]
STRICT = [  # {flip} is "(0, 1)" (the mistake flips one axis: "(0,)")
    "def conv2d_strict({X}, {K}):\n    return corr2d({X}, torch.flip({K}, dims={flip}))\n",
    "def conv2d_strict({X}, {K}):\n    {K} = torch.flip({K}, {flip})\n    return corr2d({X}, {K})\n",
]
LEARN = [  # {sign} is "-" (the mistake adds the gradient: "+")
    """def learn_kernel({X}, {Y}, kernel_size, lr=3e-2, num_iters=10):
    {conv} = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    {X} = {X}.reshape((1, 1) + tuple({X}.shape))
    {Y} = {Y}.reshape((1, 1) + tuple({Y}.shape))
    for _ in range(num_iters):
        {loss} = (({conv}({X}) - {Y}) ** 2).sum()
        {conv}.zero_grad()
        {loss}.backward()
        with torch.no_grad():
            {conv}.weight[:] = {conv}.weight {sign} lr * {conv}.weight.grad
    return {conv}.weight.detach().reshape(kernel_size)
""",
    """def learn_kernel({X}, {Y}, kernel_size, lr=3e-2, num_iters=10):
    {K} = torch.randn(kernel_size, requires_grad=True)
    for _ in range(num_iters):
        {loss} = ((corr2d({X}, {K}) - {Y}) ** 2).sum()
        {loss}.backward()
        with torch.no_grad():
            {K}.data = {K}.data {sign} lr * {K}.grad
            {K}.grad.zero_()
    return {K}.detach()
""",
]
STUB = '''def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    raise NotImplementedError()


def conv2d_strict(X, K):
    """Convolución estricta: el kernel se voltea en ambos ejes y luego se correlaciona."""
    raise NotImplementedError()


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    """Aprende un kernel de tamaño kernel_size que lleve X a Y con descenso de gradiente."""
    raise NotImplementedError()
'''


def unusual_corr2d(rng: random.Random, tag: int) -> str:
    """A corr2d nobody else writes: while loops, a running sum and a few odd lines of its own
    (numbers keep their value in the fingerprints, so each planted group's passage is its own)."""
    odd = []
    for k in range(5):
        a, b, c = rng.randint(2, 997), rng.randint(2, 997), rng.randint(2, 997)
        op = rng.choice(["+", "-", "*", "%", "//"])
        odd.append(f"    ajuste{k} = ({a} {op} {b}) * {c} - ({a} {op} {b}) * {c} + {tag} - {tag}")
    total = " + ".join(f"ajuste{k}" for k in range(5))
    return """def corr2d(X, K):
    alto, ancho = K.shape
    filas = X.shape[0] - alto + 1
    cols = X.shape[1] - ancho + 1
    salida = torch.zeros(filas * cols)
{odd}
    pos = 0
    while pos < filas * cols:
        f, g = divmod(pos, cols)
        acumulado = torch.zeros(())
        q = 0
        while q < alto * ancho:
            u, v = divmod(q, ancho)
            acumulado = acumulado + X[f + u, g + v] * K[u, v]
            q = q + 1
        salida[pos] = acumulado
        pos = pos + 1
    return salida.reshape(filas, cols) + ({total})
""".format(odd="\n".join(odd), total=total)


def disguise(source: str) -> str:
    """Renamed (every argument and local), reformatted by ast.unparse, new comments."""
    tree = ast.parse(source)
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
        local |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names = {n: f"v{i}_{n[::-1]}z" for i, n in enumerate(sorted(local))}
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and node.id in names:
                node.id = names[node.id]
            elif isinstance(node, ast.arg) and node.arg in names:
                node.arg = names[node.arg]
    out = []
    for line in ast.unparse(tree).splitlines():
        out.append(line)
        if line.strip().startswith(("while ", "for ")):
            out.append(line[:len(line) - len(line.lstrip())] + "    # lo escribí yo")
    return "\n".join(out) + "\n"


def honest(rng, mistakes=()) -> str:
    names = {k: rng.choice(v) for k, v in NAMES.items()}
    names["K"] = names["K"] if names["K"] != names["X"] else "K"
    fill = dict(names, plus1="" if "off_by_one" in mistakes else "+ 1",
                flip="(0,)" if "flipped_one_axis" in mistakes else "(0, 1)",
                sign="+" if "gradient_ascent" in mistakes else "-")
    parts = [rng.choice(CORR2D).format(**fill), rng.choice(STRICT).format(**fill),
             rng.choice(LEARN).format(**fill)]
    text = "\n\n".join(parts)
    lines = []
    for line in text.splitlines():  # a student's own comments and blank lines
        lines.append(line)
        if line.strip() and rng.random() < 0.15:
            lines.append(line[:len(line) - len(line.lstrip())] + rng.choice(COMMENTS))
    return "import torch\nfrom torch import nn\n\n\n" + "\n".join(lines) + "\n"


def results_for(kind, mistakes=()) -> dict:
    tests, failing = [], {"off_by_one": 0, "flipped_one_axis": 4, "gradient_ascent": 6}
    failing_index = {failing[m]: m for m in mistakes}
    for index, (obj, pts, title) in enumerate(TESTS):
        name = f"{obj}: {title}"
        t = {"name": name, "score": pts, "max_score": pts, "status": "passed", "output": "",
             "visibility": "visible", "extra_data": {"object": obj}}
        if kind == "stub":
            t.update(score=0, status="failed",
                     output=f"{obj} todavía no está implementada (lanza NotImplementedError).")
        elif index in failing_index:
            key = failing_index[index]
            got = [[19, 25]] if key == "off_by_one" else [[25, 19], [43, 37]]
            t.update(score=0, status="failed", output=f"{obj}(X, K) devolvió {got}; se esperaba [[19, 25], [37, 43]].")
            t["extra_data"].update(misconception=key, tensors={
                "inputs": {"X": X, "K": K}, "params": {}, "expected": [[19, 25], [37, 43]],
                "obtained": got, "call": f"{obj}(X, K)"})
        tests.append(t)
    score = sum(t["score"] for t in tests)
    return {"score": score, "max_score": 20, "output": "", "execution_time": 0.4, "tests": tests,
            "extra_data": {"assignment": ASSIGNMENT, "lang": "es", "grader_error": False,
                           "confinement": "bwrap-userns", "loaded": True}}


def plan(n: int, seed: int = 24):
    """[(name, kind, source, mistakes)] for n students, and the planted groups (lists of names,
    the disguised copy's group first)."""
    rng = random.Random(seed)
    students = [None] * n
    groups, free = [], list(range(n))
    rng.shuffle(free)
    n_pairs = max(2, n // 200)
    for g in range(n_pairs + 1):
        size = 5 if g == n_pairs and n >= 200 else 2
        if g == n_pairs and size == 2:
            break
        members = [free.pop() for _ in range(size)]
        original = unusual_corr2d(rng, g + 1)
        rest = honest(rng)
        rest = rest[rest.index("def conv2d_strict"):]
        for k, m in enumerate(members):
            src = "import torch\nfrom torch import nn\n\n\n" + original + "\n\n" + rest
            if k:
                src = disguise(src) if g == 0 else src.replace("alto", "alt").replace("cols", "columnas")
            students[m] = ("copy", src, ())
        groups.append(members)
    for m in free:
        r = rng.random()
        if r < 0.2:
            students[m] = ("stub", STUB, ())
        elif r < 0.5:
            mistakes = tuple(rng.sample(["off_by_one", "flipped_one_axis", "gradient_ascent"], rng.randint(1, 2)))
            students[m] = ("mistakes", honest(rng, mistakes), mistakes)
        else:
            students[m] = ("honest", honest(rng), ())
    width = len(str(n))
    named = [(f"alumno{i:0{width}d}", *s) for i, s in enumerate(students)]
    return named, [[named[i][0] for i in grp] for grp in groups]


def write(n: int, root, seed: int = 24):
    """Writes root/subs/<name>.py and root/out/<name>/{results,meta}.json; -> (out dir,
    planted groups)."""
    from autograder.grading import result_files
    subs, out = os.path.join(root, "subs"), os.path.join(root, "out")
    os.makedirs(subs, exist_ok=True)
    students, groups = plan(n, seed)
    for name, kind, src, mistakes in students:
        path = os.path.join(subs, name + ".py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(src)
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        res = results_for("stub" if kind == "stub" else "graded", mistakes)
        meta = result_files.make_meta(path, ASSIGNMENT, "es", result_files.STATUS_COMPLETE,
                                      result_files.source_hash(path), score=res["score"], max_score=res["max_score"])
        for file, data in ((result_files.RESULTS, res), (result_files.META, meta)):
            with open(os.path.join(folder, file), "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=2)
    return out, groups


if __name__ == "__main__":
    print(write(int(sys.argv[1]), sys.argv[2])[1])
