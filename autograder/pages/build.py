"""Build the report pages of a results folder (``autograder grade --out OUT``):

    OUT/index.html                the class page (instructors)
    OUT/<name>/feedback.html      one page per submission (students)
    OUT/grades.csv                one row per submission

Reads only what the grader wrote (OUT/<name>/results.json and meta.json) and, for the
similarity hints, the submissions' sources through autograder.intake.submission.load_submission
(the trusted reader) from the path meta.json records. The student page shows the feedback
messages, the misconception hints and the tensors a failing check saw; never test source or
reference code (neither is in results.json). Pages are self-contained: inline CSS and JS,
pictures as data: URIs, no network.

Incremental: beside each feedback.html, feedback.sha256 holds the hash of what the page was
built from (its results, and the templates, renderer and catalogue); a page whose hash still
matches is left alone, so a regrade rewrites only the regraded students' pages. The class page
and grades.csv are always rewritten. Student pages are rendered on a pool of `jobs` processes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field

from autograder import locations
from autograder.grading import result_files, scoring
from autograder.grading import results as store
from autograder.grading.score_table import fmt, per_object
from autograder.text.i18n import N_, languages, tr

from . import class_similarity, figures
from .parallel import pool_map

INDEX = "index.html"
STUDENT_PAGE = "feedback.html"
GRADES = "grades.csv"
MAX_FIGURES = 10            # heatmaps per student page (keeps a page to a few hundred KB)
SLOWEST = 5
PAGE_SIZE = 100             # rows of the class table drawn at once (the script pages the rest)
PAGE_HASH = "feedback.sha256"   # beside each feedback.html: the hash of what it was built from

# Phrases of the engine's and the suites' messages that mean a limit was hit (time, memory, a
# crash), as each catalogue words them: a result says so only in its text.
_LIMIT_PHRASES = (
    # TRANSLATORS: fragments of the grader's time-limit and crash messages; translate each as
    # those messages translate it (the report pages find limits by these words)
    N_("tardó más de"), N_("tardó demasiado"), N_("terminó de forma inesperada"),
    N_("terminó mientras se cargaba"), N_("no terminó correctamente"), N_("tiempo agotado"),
)
_LIMIT_PATTERNS = re.compile("|".join(sorted({re.escape(tr(lang, phrase)) for lang in languages()
                                               for phrase in _LIMIT_PHRASES})), re.I)

# The pages' own words, by key (templates read them as t.<key>; text(lang) translates them).
TEXT = {
    "title_student": N_("Devolución: {name} ({assignment})"),
    "title_class": N_("Informe de la clase: {assignment}"),
    "score": N_("Puntaje"),
    "count": N_("Entregas"),
    "total": N_("Total"),
    "function": N_("Función"),
    "points": N_("Puntos"),
    "passed": N_("aprobada"),
    "failed": N_("no aprobada"),
    "failing_tests": N_("Pruebas no aprobadas"),
    "all_passed": N_("¡Todas las pruebas aprobadas!"),
    "hint": N_("Posible causa"),
    "expected": N_("esperado"),
    "obtained": N_("obtenido"),
    "difference": N_("obtenido − esperado"),
    "input": N_("entrada"),
    "alt_tensors": N_("Mapas de calor de la entrada ({inputs}), la salida esperada "
                      "({expected}) y la obtenida ({obtained})."),
    "alt_diff": N_("{n} de {total} celdas difieren."),
    "training": N_("Entrenamiento de tu modelo"),
    "your_model": N_("tu modelo"),
    "threshold": N_("mínimo"),
    "accuracy": N_("exactitud en prueba"),
    "epoch": N_("época"),
    "alt_training": N_("Exactitud en prueba de {model} por época ({curve}); final {acc}, "
                       "mínimo {bar}."),
    "alt_hist": N_("Histograma de puntajes de {n} entregas sobre {max}: {counts}."),
    "figures_capped": N_("Se muestran los gráficos de las primeras {n} pruebas."),
    "histogram": N_("Distribución de puntajes"),
    "submissions": N_("Entregas"),
    "pass_rate": N_("Tasa de aprobación por prueba"),
    "test": N_("Prueba"),
    "rate": N_("Aprobadas"),
    "misconceptions": N_("Errores conceptuales más frecuentes"),
    "students": N_("Estudiantes"),
    "example": N_("Ejemplo"),
    "problems": N_("Entregas no calificadas, que llegaron a un límite o para revisar"),
    "no_problems": N_("Ninguna."),
    "message": N_("Mensaje"),
    "slowest": N_("Entregas más lentas"),
    "seconds": N_("Segundos"),
    "state": N_("Estado"),
    "filter": N_("Filtrar por nombre"),
    "similarity": N_("Pistas de similitud"),
    "similarity_note": N_("Grupos de entregas cuyas funciones calificadas son casi idénticas "
                          "una vez normalizados nombres, comentarios y formato (huellas de "
                          "tokens con winnowing, el método de MOSS), descontado el código del "
                          "enunciado y el código común. Es una pista para revisar, nunca un "
                          "veredicto."),
    "no_pairs": N_("Ningún par supera el umbral ({pct} % de huellas compartidas)."),
    "common_note": N_("Una huella presente en más de {limit} de las {n} entregas comparadas se "
                      "toma como código común (la solución estándar), como el enunciado."),
    "cluster": N_("Grupo de {n} entregas"),
    "pair": N_("Par"),
    "more": N_("… y {n} pares más."),
    "more_clusters": N_("… y {n} grupos más, menos parecidos."),
    "previous": N_("Anterior"),
    "next": N_("Siguiente"),
    # TRANSLATORS: keep {a}, {b}, {n} and {total} as they are (the page's script fills them)
    "showing": N_("Filas {a}–{b} de {n} (total: {total})"),
    "noscript": N_("La tabla necesita JavaScript; las mismas notas están en grades.csv."),
    "shared": N_("Huellas compartidas"),
    "fragment": N_("Fragmento compartido"),
    "lines": N_("líneas {a}–{b}"),
    "killtable": N_("Tabla de mutantes de las pruebas ocultas"),
    "killtable_note": N_("Cada mutante del corpus es un error realista en una función; "
                         "«detectado» quiere decir que las pruebas ocultas le quitan puntos."),
    "mutants": N_("Mutantes"),
    "killed": N_("Detectados"),
    "diagnosed": N_("Con diagnóstico"),
    "mutant": N_("Mutante"),
    "target": N_("Función"),
    "yes": N_("detectado"),
    "no": N_("NO DETECTADO"),
    "diagnosis": N_("Diagnóstico"),
    "graded": N_("calificada"),
    "resumed": N_("calificada"),
    "not_loaded": N_("sin cargar"),
    "grader_error": N_("error del corrector"),
    "limit": N_("límite"),
    "review": N_("revisar"),
    "pages": N_("Páginas de los estudiantes"),
    "open": N_("abrir"),
    "mean": N_("Media"),
    "sort": N_("Ordenar por {col}"),
    "generated": N_("Generado por el autocorrector."),
    "output": N_("Mensaje general"),
    "unconfined": N_("Atención: el código de {n} entrega(s) se ejecutó SIN aislamiento (--unconfined): "
                     "sus resultados no valen como los de una corrección aislada."),
}


def text(lang) -> dict:
    """TEXT in lang, plus "lang" (the page's language attribute)."""
    return {"lang": lang, **{key: tr(lang, message) for key, message in TEXT.items()}}


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

    @property
    def confinement(self) -> str:
        """Where its student code ran (engine: bwrap-root, bwrap-userns or unconfined)."""
        return str((self.results.get("extra_data") or {}).get("confinement") or "")


def load(out_dir) -> list[Entry]:
    """The result folders of out_dir (those with a readable results.json), sorted by name."""
    entries = []
    for name, _src in sorted(result_files.existing_folders(out_dir).items()):
        folder = os.path.join(out_dir, name)
        res = result_files.read_json(os.path.join(folder, result_files.RESULTS))
        if not isinstance(res, dict) or store.validate(res):
            continue
        meta = result_files.read_json(os.path.join(folder, result_files.META)) or {}
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
    lang = lang if lang in languages() else "es"
    return _env().get_template("student.html.j2").render(**student_context(entry_of(name, res), lang))


FRAGMENT_SCOPE = ".ag-page"
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def scoped_css(scope: str = FRAGMENT_SCOPE) -> str:
    """The pages' stylesheet (_style.html.j2, flat rules only) with every selector confined to
    `scope`: `:root`/`html`/`body` become the scope itself, any other selector a descendant of it;
    sizes in rem become em (the host page's root size is not ours: Bootstrap 3 sets 10px)."""
    env = _env()
    css = re.sub(r"</?style>", "", env.loader.get_source(env, "_style.html.j2")[0])
    css = re.sub(r"(\d*\.?\d+)rem\b", r"\1em", css)

    def one(selector: str) -> str:
        selector = selector.strip()
        return scope if selector in (":root", "html", "body") else f"{scope} {selector}"

    return _CSS_RULE.sub(lambda m: ", ".join(one(s) for s in m.group(1).split(",")) + " {" + m.group(2) + "}\n",
                         css).strip()


def student_fragment(res, name, lang="es") -> str:
    """The student's page as one <div class="ag-page"> with its own scoped <style>, to be placed
    inside another HTML page (nbgrader's feedback HTML) without touching that page's styles."""
    import markupsafe
    lang = lang if lang in languages() else "es"
    return _env().get_template("student_fragment.html.j2").render(
        **student_context(entry_of(name, res), lang), scoped_css=markupsafe.Markup(scoped_css()))


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
    from autograder.text.feedback import MISCONCEPTIONS, explain
    if key not in MISCONCEPTIONS:
        return message
    for lang in languages():
        message = message.replace("\n" + explain(lang, key), "")
    return message


def _misconception_text(key, lang):
    from autograder.text.feedback import MISCONCEPTIONS, misconception_text
    return misconception_text(key, lang) if key in MISCONCEPTIONS else key


# ---------------------------------------------------------------- student page

def student_context(entry: Entry, lang="es") -> dict:
    t = text(lang)
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
        item = {"id": f"t{i}", "name": test["name"], "object": store.test_object(test),
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

def class_context(entries, out_dir, lang="es", similarity=True, killtables=None, jobs=1,
                  common_share=None) -> dict:
    t = text(lang)
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
        # one compact row per submission, drawn by the page's script (paged, sorted, filtered):
        # [name, [object scores], total, state, state label, seconds]; links are name/feedback.html
        rows = [[e.name, [e.objects.get(o, (0, 0))[0] for o in objects], e.score, e.state,
                 t.get(e.state, e.state), round(e.seconds, 2)] for e in group]
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
            "similarity": class_similarity.section(out_dir, group, a, jobs, common_share)
            if similarity else None,
            "killtable": (killtables or {}).get(a) or _stored_killtable(out_dir, a),
        }
        sections.append(section)
    from .similarity import MIN_SIMILARITY
    return {"page_size": PAGE_SIZE, "t": t, "sections": sections, "lang": lang,
            "unconfined": sum(e.confinement == "unconfined" for e in entries),
            "title": t["title_class"].format(assignment=", ".join(assignments) or "-"),
            "min_similarity_pct": f"{100 * MIN_SIMILARITY:.0f}"}


def _stored_killtable(out_dir, assignment):
    from autograder.mutation.killtable import FILE
    data = result_files.read_json(os.path.join(out_dir, FILE))
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
    w.writerow(["name", "assignment", "score", "max_score", "state", "seconds", "confinement"] + objects)
    for e in entries:
        w.writerow([e.name, e.assignment, fmt(e.score), fmt(e.max_score), e.state,
                    f"{e.seconds:.2f}", e.confinement]
                   + [fmt(e.objects[o.split(":", 1)[1]][0]) if o.split(":", 1)[0] == e.assignment
                      and o.split(":", 1)[1] in e.objects else "" for o in objects])
    return buf.getvalue()


# ---------------------------------------------------------------- entry point

def _write(path, content):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
    os.replace(tmp, path)


def _inputs_digest(lang) -> str:
    """Hash of everything besides a submission's results that shapes its page: the templates,
    the modules that render it and the catalogue of lang. A change there rebuilds every page."""
    h = hashlib.sha256(f"{lang}\0".encode())
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, "build.py"), os.path.join(here, "figures.py")]
    templates = os.path.join(here, "templates")
    paths += [os.path.join(templates, n) for n in sorted(os.listdir(templates))]
    paths.append(os.path.join(locations.LOCALE, lang, "LC_MESSAGES", "autograder.mo"))
    for path in paths:
        try:
            with open(path, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def page_digest(entry: Entry, inputs_digest: str) -> str:
    """The content hash of one student page: its results, name, assignment and the renderer."""
    data = json.dumps([entry.name, entry.assignment, entry.results], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((inputs_digest + "\0" + data).encode("utf-8", "surrogateescape")).hexdigest()


def _is_current(folder, digest) -> bool:
    try:
        with open(os.path.join(folder, PAGE_HASH), encoding="ascii") as f:
            stored = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return False
    return stored == digest and os.path.isfile(os.path.join(folder, STUDENT_PAGE))


_TEMPLATES: dict = {}


def _render_student_job(job):
    """Pool worker: write one student page, then its hash (a crash between the two leaves a
    stale hash, so the page is rebuilt next time)."""
    out_dir, entry, lang, digest = job
    if "student" not in _TEMPLATES:
        _TEMPLATES["student"] = _env().get_template("student.html.j2")
    folder = os.path.join(out_dir, entry.name)
    path = os.path.join(folder, STUDENT_PAGE)
    _write(path, _TEMPLATES["student"].render(**student_context(entry, lang)))
    _write(os.path.join(folder, PAGE_HASH), digest + "\n")
    return path


def build(out_dir, lang="es", similarity=True, killtables=None, jobs=1, common_share=None) -> dict:
    """Write index.html, grades.csv and the <name>/feedback.html of out_dir whose results
    changed since they were built (all of them the first time), on up to `jobs` processes.
    Returns {"index": path, "students": [all page paths], "rebuilt": [rewritten ones],
    "grades": path}."""
    lang = lang if lang in languages() else "es"
    out_dir = os.path.abspath(out_dir)
    entries = load(out_dir)
    inputs = _inputs_digest(lang)
    todo, pages = [], []
    for e in entries:
        digest = page_digest(e, inputs)
        folder = os.path.join(out_dir, e.name)
        pages.append(os.path.join(folder, STUDENT_PAGE))
        if not _is_current(folder, digest):
            todo.append((out_dir, e, lang, digest))
    if todo:
        from autograder.text import feedback  # noqa: F401 - imported once here, not in every pool worker
    rebuilt = pool_map(_render_student_job, todo, jobs)
    env = _env()
    index = os.path.join(out_dir, INDEX)
    _write(index, env.get_template("class.html.j2").render(
        **class_context(entries, out_dir, lang, similarity, killtables, jobs, common_share)))
    grades = os.path.join(out_dir, GRADES)
    _write(grades, grades_csv(entries))
    return {"index": index, "students": pages, "rebuilt": rebuilt, "grades": grades}
