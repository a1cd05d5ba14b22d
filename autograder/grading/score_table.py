"""The summary table printed by `autograder grade`: one row per submission, one column per
graded object (sum of its tests' scores), the total and the state; then the mean row."""
from __future__ import annotations

import dataclasses

from autograder.text.i18n import N_, tr

from . import scoring
from .results import as_result

STATES = {"graded": N_("calificada"), "resumed": N_("previa"), "grader_error": N_("ERROR DEL CORRECTOR")}


def per_object(results, assignment: str) -> dict:
    """{object: (score, max_score)} of a result (SubmissionResult or results.json), in the
    assignment's object order (then any others): SubmissionResult.object_scores()."""
    res = dataclasses.replace(as_result(results), assignment=assignment)
    return {obj: (e.score, e.max_score) for obj, e in res.object_scores().items()}


def fmt(x: float) -> str:
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def table(rows, assignment: str, lang: str = "es", final=None) -> str:
    """rows: [(name, result, state)], a result being a SubmissionResult or its results.json, state
    in graded/resumed/grader_error. final: {name: {"objects": {object: score}, "score": total,
    "manual": {object: score}}}, the scores an nbgrader gradebook holds (manual grades included),
    shown instead of the result's for those names."""
    final = final or {}
    rows = [(name, as_result(res), state) for name, res, state in rows]
    objects = list(scoring.POINTS.get(assignment, {}))
    for _name, res, _state in rows:
        for obj in per_object(res, assignment):
            if obj not in objects:
                objects.append(obj)
    max_total = scoring.max_score(assignment) if assignment in scoring.POINTS else 0
    header = [tr(lang, "Entrega")] + [f"{o} ({fmt(scoring.POINTS.get(assignment, {}).get(o, 0))})"
                                      for o in objects]
    header += [tr(lang, "Total") + f" ({fmt(max_total)})", tr(lang, "Estado")]
    body = []
    sums = [0.0] * (len(objects) + 1)
    for name, res, state in rows:
        objs = per_object(res, assignment)
        book = final.get(name)
        if book:
            objs = {**objs, **{o: (s, objs.get(o, (0, 0))[1]) for o, s in book["objects"].items()}}
        cells = [fmt(objs.get(o, (0, 0))[0]) for o in objects]
        total = float(book["score"]) if book else float(res.score)
        for i, o in enumerate(objects):
            sums[i] += objs.get(o, (0, 0))[0]
        sums[-1] += total
        label = tr(lang, STATES[state]) if state in STATES else state
        if state != "grader_error" and res.extra_data.get("loaded") is False:
            label = tr(lang, "sin cargar")
        if res.needs_review:  # flagged for an instructor (docs/security.md)
            label += " (" + tr(lang, "revisar") + ")"
        if book and book.get("manual"):
            label += " (" + tr(lang, "con nota manual") + ")"
        body.append([name] + cells + [fmt(total), label])
    lines = [header] + body
    if len(rows) > 1:
        lines.append([tr(lang, "Media")] + [fmt(s / len(rows)) for s in sums] + [""])
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(header))]

    def render(r):
        parts = [str(r[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(r[1:-1], widths[1:-1])]
        parts.append(str(r[-1]).ljust(widths[-1]))
        return "  ".join(parts).rstrip()

    sep = "  ".join("-" * w for w in widths)
    out = [render(header), sep] + [render(r) for r in body]
    if len(rows) > 1:
        out += [sep, render(lines[-1])]
    return "\n".join(out)


CONFINEMENT_TEXT = {
    "bwrap-root": N_("bubblewrap como root (cada proceso con su propio usuario sin privilegios)"),
    "bwrap-userns": N_("bubblewrap en un espacio de nombres de usuario (cuenta sin privilegios: "
                       "un sandbox y un espacio de PIDs por proceso)"),
    "landlock": N_("Landlock (cuenta sin espacios de nombres: solo lee el sistema y Python, escribe "
                   "solo en su carpeta temporal, sin TCP ni señales a otros procesos)"),
    "unconfined": N_("NINGUNO (--unconfined): el código de los estudiantes corrió sin aislamiento y "
                     "esos resultados quedan marcados «unconfined»"),
}


def confinement_line(jobs, lang="es") -> str:
    """Where the students' code of this table ran (from each result: a batch resumed from an
    earlier run may mix modes)."""
    labels = []
    for j in jobs:
        label = ((getattr(j, "results", None) or {}).get("extra_data") or {}).get("confinement")
        if label and label not in labels:
            labels.append(label)
    if not labels:
        return ""
    shown = "; ".join(tr(lang, CONFINEMENT_TEXT[x]) if x in CONFINEMENT_TEXT else x for x in labels)
    return tr(lang, "Aislamiento del código de los estudiantes: {mode}", mode=shown)


def summary(jobs, out_dir, lang="es") -> str:
    graded = sum(j.state == "graded" for j in jobs)
    resumed = sum(j.state == "resumed" for j in jobs)
    errors = sum(j.state == "grader_error" for j in jobs)
    if len(jobs) == 1:  # one submission reads as one ("1 entregas" / "1 submissions" did not)
        state = (tr(lang, "calificada ahora") if graded else tr(lang, "ya calificada antes") if resumed
                 else tr(lang, "con error del corrector"))
        lines = [tr(lang, "1 entrega: {state}. Resultados en {out}", state=state, out=out_dir)]
    else:
        lines = [tr(lang, "{n} entregas: {graded} calificadas ahora, {resumed} ya calificadas antes, "
                    "{errors} con error del corrector. Resultados en {out}",
                    n=len(jobs), graded=graded, resumed=resumed, errors=errors, out=out_dir)]
    if errors:
        lines.append(tr(lang, "El corrector falló en {errors} entregas (detalles arriba, en stderr); "
                        "vuelve a ejecutar el mismo comando para recalificarlas.", errors=errors))
    return "\n".join(lines)
