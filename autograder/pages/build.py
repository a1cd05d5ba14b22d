"""Build the report pages of a results folder (``autograder grade --out OUT``):

    OUT/index.html                the class page (instructors)
    OUT/<name>/feedback.html      one page per submission (students)
    OUT/grades.csv                one row per submission

Reads only what the grader wrote (OUT/<name>/results.json and meta.json) and, for the
similarity hints, the submissions' sources through autograder.submission.load_submission
(the trusted reader) from the path meta.json records. The student page shows the feedback
messages, the misconception hints and the tensors a failing check saw; never test source or
reference code (neither is in results.json). Pages are self-contained: inline CSS and JS, PNG
pictures as data: URIs, no network.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field

from .. import results as store
from .. import scoring
from ..report import fmt, object_of, per_object
from . import figures

INDEX = "index.html"
STUDENT_PAGE = "feedback.html"
GRADES = "grades.csv"
MAX_FIGURES = 10            # heatmaps per student page (keeps a page to a few hundred KB)
SLOWEST = 5
MAX_PAIRS = 50              # similarity hints shown per assignment (most similar first)

# Phrases of the engine/plugin messages that mean a limit was hit (time, memory, crash).
_LIMIT_PATTERNS = re.compile(
    r"tardó (más de|demasiado)|terminó de forma inesperada|terminó mientras se cargaba|"
    r"took (more than|too long)|ended unexpectedly|ended while loading|no terminó correctamente|"
    r"did not finish properly|tiempo agotado|time is up", re.I)

TEXT = {
    "es": {
        "lang": "es", "title_student": "Devolución: {name} ({assignment})",
        "title_class": "Informe de la clase: {assignment}",
        "score": "Puntaje", "count": "Entregas", "total": "Total", "function": "Función",
        "points": "Puntos", "passed": "aprobada", "failed": "no aprobada",
        "failing_tests": "Pruebas no aprobadas", "all_passed": "¡Todas las pruebas aprobadas!",
        "hint": "Posible causa", "expected": "esperado", "obtained": "obtenido",
        "difference": "obtenido − esperado", "input": "entrada",
        "alt_tensors": "Mapas de calor de la entrada ({inputs}), la salida esperada "
                       "({expected}) y la obtenida ({obtained}).",
        "alt_diff": "{n} de {total} celdas difieren.",
        "notes": "Notas", "training": "Entrenamiento de tu modelo",
        "your_model": "tu modelo", "threshold": "mínimo", "accuracy": "exactitud en prueba",
        "epoch": "época",
        "alt_training": "Exactitud en prueba de {model} por época ({curve}); final {acc}, "
                        "mínimo {bar}.",
        "alt_hist": "Histograma de puntajes de {n} entregas sobre {max}: {counts}.",
        "figures_capped": "Se muestran los gráficos de las primeras {n} pruebas.",
        "back": "Volver al informe de la clase",
        "histogram": "Distribución de puntajes", "submissions": "Entregas",
        "pass_rate": "Tasa de aprobación por prueba", "test": "Prueba", "rate": "Aprobadas",
        "misconceptions": "Errores conceptuales más frecuentes", "students": "Estudiantes",
        "example": "Ejemplo", "problems": "Entregas no calificadas, que llegaron a un límite o para revisar",
        "no_problems": "Ninguna.", "message": "Mensaje", "slowest": "Entregas más lentas",
        "seconds": "Segundos", "state": "Estado", "filter": "Filtrar por nombre",
        "similarity": "Pistas de similitud",
        "similarity_note": "Pares de entregas cuyas funciones calificadas son casi idénticas "
                           "una vez normalizados nombres, comentarios y formato (huellas de "
                           "tokens con winnowing, el método de MOSS), descontado el código del "
                           "enunciado. Es una pista para revisar, nunca un veredicto.",
        "no_pairs": "Ningún par supera el umbral ({pct} % de huellas compartidas).",
        "shared": "Huellas compartidas", "fragment": "Fragmento compartido",
        "lines": "líneas {a}–{b}",
        "killtable": "Tabla de mutantes de las pruebas ocultas",
        "killtable_note": "Cada mutante del corpus es un error realista en una función; "
                          "«detectado» quiere decir que las pruebas ocultas le quitan puntos.",
        "mutants": "Mutantes", "killed": "Detectados", "diagnosed": "Con diagnóstico",
        "mutant": "Mutante", "target": "Función", "yes": "detectado", "no": "NO DETECTADO",
        "diagnosis": "Diagnóstico", "graded": "calificada", "resumed": "calificada",
        "not_loaded": "sin cargar", "grader_error": "error del corrector", "limit": "límite",
        "review": "revisar",
        "pages": "Páginas de los estudiantes", "open": "abrir", "mean": "Media",
        "sort": "Ordenar por {col}", "student_link": "Devolución",
        "generated": "Generado por el autocorrector.",
        "output": "Mensaje general",
    },
    "en": {
        "lang": "en", "title_student": "Feedback: {name} ({assignment})",
        "title_class": "Class report: {assignment}",
        "score": "Score", "count": "Submissions", "total": "Total", "function": "Function",
        "points": "Points", "passed": "passed", "failed": "failed",
        "failing_tests": "Failing tests", "all_passed": "All tests passed!",
        "hint": "Likely cause", "expected": "expected", "obtained": "obtained",
        "difference": "obtained − expected", "input": "input",
        "alt_tensors": "Heatmaps of the input ({inputs}), the expected output ({expected}) "
                       "and the obtained one ({obtained}).",
        "alt_diff": "{n} of {total} cells differ.",
        "notes": "Notes", "training": "Training your model",
        "your_model": "your model", "threshold": "bar", "accuracy": "test accuracy",
        "epoch": "epoch",
        "alt_training": "Test accuracy of {model} per epoch ({curve}); final {acc}, bar {bar}.",
        "alt_hist": "Histogram of the scores of {n} submissions out of {max}: {counts}.",
        "figures_capped": "Pictures are shown for the first {n} tests.",
        "back": "Back to the class report",
        "histogram": "Score distribution", "submissions": "Submissions",
        "pass_rate": "Pass rate per test", "test": "Test", "rate": "Passed",
        "misconceptions": "Most frequent misconceptions", "students": "Students",
        "example": "Example", "problems": "Submissions not graded, that hit a limit or to review",
        "no_problems": "None.", "message": "Message", "slowest": "Slowest submissions",
        "seconds": "Seconds", "state": "State", "filter": "Filter by name",
        "similarity": "Similarity hints",
        "similarity_note": "Pairs of submissions whose graded functions are near-identical once "
                           "names, comments and formatting are normalised (token fingerprints "
                           "with winnowing, the method of MOSS), the released stub code "
                           "excluded. A hint for review, never a verdict.",
        "no_pairs": "No pair reaches the threshold ({pct} % shared fingerprints).",
        "shared": "Shared fingerprints", "fragment": "Shared fragment",
        "lines": "lines {a}–{b}",
        "killtable": "Kill table of the hidden suites",
        "killtable_note": "Each mutant of the corpus is a realistic mistake in one function; "
                          "“killed” means the hidden suites take points off it.",
        "mutants": "Mutants", "killed": "Killed", "diagnosed": "Diagnosed",
        "mutant": "Mutant", "target": "Function", "yes": "killed", "no": "SURVIVED",
        "diagnosis": "Diagnosis", "graded": "graded", "resumed": "graded",
        "not_loaded": "not loaded", "grader_error": "grader error", "limit": "limit",
        "review": "to review",
        "pages": "Student pages", "open": "open", "mean": "Mean",
        "sort": "Sort by {col}", "student_link": "Feedback",
        "generated": "Generated by the autograder.",
        "output": "General message",
    },
}


@dataclass
class Entry:
    """One graded submission of the folder."""
    name: str
    results: dict
    meta: dict
    assignment: str
    state: str = "graded"           # graded | not_loaded | grader_error | limit | review
    problem: str = ""               # message when not graded or a limit was hit
    objects: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return float(self.results.get("score", 0) or 0)

    @property
    def max_score(self) -> float:
        return float(self.results.get("max_score", 0) or 0)

    @property
    def seconds(self) -> float:
        return float(self.results.get("execution_time", 0) or 0)


def load(out_dir) -> list[Entry]:
    """The result folders of out_dir (those with a readable results.json), sorted by name."""
    entries = []
    for name, _src in sorted(store.existing_folders(out_dir).items()):
        folder = os.path.join(out_dir, name)
        res = store.read_json(os.path.join(folder, store.RESULTS))
        if not isinstance(res, dict) or store.validate(res):
            continue
        meta = store.read_json(os.path.join(folder, store.META)) or {}
        entries.append(entry_of(name, res, meta))
    return entries


def entry_of(name, res, meta=None) -> Entry:
    """The Entry of one results dict (Gradescope format, as engine.grade returns it)."""
    meta = meta or {}
    extra = res.get("extra_data") or {}
    assignment = meta.get("assignment") or extra.get("assignment") or ""
    e = Entry(name, res, meta, assignment)
    e.objects = per_object(res, assignment)
    if store.is_grader_error(res):
        e.state, e.problem = "grader_error", res.get("output", "")
    elif extra.get("loaded") is False:
        e.state, e.problem = "not_loaded", res.get("output", "")
    else:
        limited = [t for t in res.get("tests", []) if t.get("status") == "failed"
                   and _LIMIT_PATTERNS.search(t.get("output", ""))]
        if limited:
            e.state, e.problem = "limit", limited[0]["output"]
        elif extra.get("review"):  # the grader asks an instructor to look (docs/security.md)
            e.state, e.problem = "review", "\n".join(dict.fromkeys(_review_line(r) for r in extra["review"]))
    return e


def student_page(res, name, lang="es") -> str:
    """The HTML of one student's page from a results dict (e.g. nbgrader's feedback route)."""
    lang = lang if lang in TEXT else "es"
    return _env().get_template("student.html.j2").render(**student_context(entry_of(name, res), lang))


def _review_line(item) -> str:
    if not isinstance(item, dict):
        return str(item)
    return ", ".join(f"{k}: {v}" for k, v in item.items() if k != "test")  # the same for each test


# ---------------------------------------------------------------- templates

def _env():
    import jinja2
    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.pages", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["pct"] = lambda x: f"{100 * x:.0f}"
    return env


def _without_hint(message, key):
    """The message without its "Posible causa: ..." line (the page shows it as a hint box)."""
    from ..feedback import MISCONCEPTIONS, explain
    if key not in MISCONCEPTIONS:
        return message
    for lang in ("es", "en"):
        message = message.replace("\n" + explain(lang, key), "")
    return message


def _misconception_text(key, lang):
    from ..feedback import MISCONCEPTIONS, misconception_text
    return misconception_text(key, lang) if key in MISCONCEPTIONS else key


# ---------------------------------------------------------------- student page

def student_context(entry: Entry, lang="es") -> dict:
    t = TEXT[lang]
    objects = [{"name": o, "score": s, "max": m} for o, (s, m) in entry.objects.items()]
    failing, figures_left, capped = [], MAX_FIGURES, False
    trainings = []
    for i, test in enumerate(entry.results.get("tests", [])):
        extra = test.get("extra_data") or {}
        if isinstance(extra.get("training"), dict):
            uri, alt = figures.training_curve(extra["training"], t)
            trainings.append({"name": test["name"], "img": uri, "alt": alt,
                              "passed": test.get("status") == "passed", **extra["training"]})
        if test.get("status") == "passed":
            continue
        item = {"id": f"t{i}", "name": test["name"], "object": object_of(test),
                "output": test.get("output", ""), "score": test.get("score", 0),
                "max": test.get("max_score", 0), "hint": None, "img": None, "alt": None,
                "call": None}
        key = extra.get("misconception")
        if key:
            item["hint"] = _misconception_text(key, lang)
            item["output"] = _without_hint(item["output"], key)
        snap = extra.get("tensors")
        if isinstance(snap, dict):
            item["call"] = snap.get("call")
            if figures_left > 0:
                drawn = figures.tensor_panels(snap, t)
                if drawn:
                    item["img"], item["alt"] = drawn
                    figures_left -= 1
            else:
                capped = True
        failing.append(item)
    return {"t": t, "entry": entry, "objects": objects, "failing": failing,
            "trainings": trainings, "capped": capped, "max_figures": MAX_FIGURES,
            "output": entry.results.get("output", ""),
            "title": t["title_student"].format(name=entry.name, assignment=entry.assignment)}


# ---------------------------------------------------------------- class page

def class_context(entries, out_dir, lang="es", similarity=True, killtables=None) -> dict:
    t = TEXT[lang]
    assignments = sorted({e.assignment for e in entries if e.assignment})
    sections = []
    for a in assignments:
        group = [e for e in entries if e.assignment == a]
        max_score = scoring.max_score(a) if a in scoring.POINTS else max(e.max_score for e in group)
        hist_uri, hist_alt = figures.histogram([e.score for e in group], max_score, t)
        objects = list(scoring.POINTS.get(a, {}))
        for e in group:
            objects += [o for o in e.objects if o not in objects]
        graded = [e for e in group if e.state != "grader_error"]
        tests = {}
        miscon = {}
        for e in graded:
            for i, test in enumerate(e.results.get("tests", [])):
                row = tests.setdefault(test["name"], {"name": test["name"], "passed": 0, "n": 0})
                row["n"] += 1
                row["passed"] += test.get("status") == "passed"
                key = (test.get("extra_data") or {}).get("misconception")
                if key and test.get("status") == "failed":
                    m = miscon.setdefault(key, {"key": key, "students": set(), "example": None})
                    m["students"].add(e.name)
                    if m["example"] is None:
                        m["example"] = f"{e.name}/{STUDENT_PAGE}#t{i}"
        misconceptions = sorted(({"key": m["key"], "text": _misconception_text(m["key"], lang),
                                  "count": len(m["students"]), "example": m["example"]}
                                 for m in miscon.values()), key=lambda m: (-m["count"], m["key"]))
        rows = [{"name": e.name, "score": e.score, "max": e.max_score, "state": e.state,
                 "state_label": t.get(e.state, e.state), "seconds": e.seconds,
                 "objects": [e.objects.get(o, (0, 0))[0] for o in objects],
                 "link": f"{e.name}/{STUDENT_PAGE}"} for e in group]
        section = {
            "assignment": a, "max_score": max_score, "hist": hist_uri, "hist_alt": hist_alt,
            "objects": [(o, scoring.POINTS.get(a, {}).get(o, 0)) for o in objects], "rows": rows,
            "mean": sum(e.score for e in group) / len(group),
            "tests": [dict(r, rate=r["passed"] / r["n"]) for r in tests.values()],
            "misconceptions": misconceptions,
            "problems": [{"name": e.name, "state": t.get(e.state, e.state), "message": e.problem,
                          "link": f"{e.name}/{STUDENT_PAGE}"} for e in group if e.problem],
            "slowest": sorted(({"name": e.name, "seconds": e.seconds,
                                "link": f"{e.name}/{STUDENT_PAGE}"} for e in group),
                              key=lambda r: -r["seconds"])[:SLOWEST],
            "pairs": _pairs(group, a) if similarity else None,
            "killtable": (killtables or {}).get(a) or _stored_killtable(out_dir, a),
        }
        sections.append(section)
    from .similarity import MIN_SIMILARITY
    return {"t": t, "sections": sections, "lang": lang,
            "title": t["title_class"].format(assignment=", ".join(assignments) or "-"),
            "min_similarity_pct": f"{100 * MIN_SIMILARITY:.0f}"}


def _pairs(group, assignment):
    """Similarity pairs of a group of entries (sources read from meta.json's path)."""
    from ..submission import load_submission
    from . import similarity
    objects = list(scoring.POINTS.get(assignment, {}))
    sources = {}
    for e in group:
        path = e.meta.get("source")
        if not path or e.state == "grader_error":
            continue
        try:
            sub = load_submission(path, assignment)
        except Exception:  # noqa: BLE001 - an unreadable source just has no fingerprints
            continue
        src = similarity.graded_source(sub.cells, objects)
        if src:
            sources[e.name] = src
    pairs = similarity.compare(sources, similarity.release_sources(assignment, objects))
    return [{"a": p.a, "b": p.b, "pct": f"{100 * p.similarity:.0f}", "shared": p.shared,
             "fragment_a": p.fragment_a, "fragment_b": p.fragment_b,
             "lines_a": p.lines_a, "lines_b": p.lines_b} for p in pairs[:MAX_PAIRS]]


def _stored_killtable(out_dir, assignment):
    from .killtable import FILE
    data = store.read_json(os.path.join(out_dir, FILE))
    if isinstance(data, dict) and data.get("assignment") == assignment:
        return data
    return None


# ---------------------------------------------------------------- grades.csv

def grades_csv(entries) -> str:
    objects = []
    for e in entries:
        objects += [f"{e.assignment}:{o}" for o in e.objects if f"{e.assignment}:{o}" not in objects]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "assignment", "score", "max_score", "state", "seconds"] + objects)
    for e in entries:
        w.writerow([e.name, e.assignment, fmt(e.score), fmt(e.max_score), e.state,
                    f"{e.seconds:.2f}"]
                   + [fmt(e.objects[o.split(":", 1)[1]][0]) if o.split(":", 1)[0] == e.assignment
                      and o.split(":", 1)[1] in e.objects else "" for o in objects])
    return buf.getvalue()


# ---------------------------------------------------------------- entry point

def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def build(out_dir, lang="es", similarity=True, killtables=None) -> dict:
    """Write index.html, grades.csv and every <name>/feedback.html of out_dir.
    Returns {"index": path, "students": [paths], "grades": path}."""
    lang = lang if lang in TEXT else "es"
    out_dir = os.path.abspath(out_dir)
    entries = load(out_dir)
    env = _env()
    student_tpl = env.get_template("student.html.j2")
    written = []
    for e in entries:
        path = os.path.join(out_dir, e.name, STUDENT_PAGE)
        _write(path, student_tpl.render(**student_context(e, lang)))
        written.append(path)
    index = os.path.join(out_dir, INDEX)
    _write(index, env.get_template("class.html.j2").render(
        **class_context(entries, out_dir, lang, similarity, killtables)))
    grades = os.path.join(out_dir, GRADES)
    _write(grades, grades_csv(entries))
    return {"index": index, "students": written, "grades": grades}


