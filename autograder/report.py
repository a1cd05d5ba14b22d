"""The summary table printed by `autograder grade`: one row per submission, one column per
graded object (sum of its tests' scores), the total and the state; then the mean row."""
from __future__ import annotations

from . import scoring

TEXT = {
    "es": {"submission": "Entrega", "total": "Total", "state": "Estado", "mean": "Media",
           "graded": "calificada", "resumed": "previa", "grader_error": "ERROR DEL CORRECTOR",
           "not_loaded": "sin cargar", "review": "revisar",
           "summary": "{n} entregas: {graded} calificadas ahora, {resumed} ya calificadas antes, "
                      "{errors} con error del corrector. Resultados en {out}",
           "grader_errors": "El corrector falló en {errors} entregas (detalles arriba, en stderr); "
                            "vuelve a ejecutar el mismo comando para recalificarlas."},
    "en": {"submission": "Submission", "total": "Total", "state": "State", "mean": "Mean",
           "graded": "graded", "resumed": "previous", "grader_error": "GRADER ERROR",
           "not_loaded": "not loaded", "review": "review",
           "summary": "{n} submissions: {graded} graded now, {resumed} graded before, "
                      "{errors} with a grader error. Results in {out}",
           "grader_errors": "The grader failed on {errors} submissions (details above, on stderr); "
                            "run the same command again to regrade them."},
}


def object_of(test_name: str) -> str:
    return test_name.split(":", 1)[0].strip()


def per_object(results: dict, assignment: str) -> dict:
    """{object: (score, max_score)} in the assignment's object order (then any others)."""
    out = {obj: [0.0, 0.0] for obj in scoring.POINTS.get(assignment, {})}
    for t in results.get("tests", []):
        acc = out.setdefault(object_of(t.get("name", "")), [0.0, 0.0])
        acc[0] += float(t.get("score", 0) or 0)
        acc[1] += float(t.get("max_score", 0) or 0)
    return {k: tuple(v) for k, v in out.items()}


def fmt(x: float) -> str:
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def table(rows, assignment: str, lang: str = "es") -> str:
    """rows: [(name, results dict, state)], state in graded/resumed/grader_error."""
    t = TEXT.get(lang, TEXT["es"])
    objects = list(scoring.POINTS.get(assignment, {}))
    for _name, res, _state in rows:
        for obj in per_object(res, assignment):
            if obj not in objects:
                objects.append(obj)
    max_total = scoring.max_score(assignment) if assignment in scoring.POINTS else 0
    header = [t["submission"]] + [f"{o} ({fmt(scoring.POINTS.get(assignment, {}).get(o, 0))})"
                                  for o in objects] + [f"{t['total']} ({fmt(max_total)})", t["state"]]
    body = []
    sums = [0.0] * (len(objects) + 1)
    for name, res, state in rows:
        objs = per_object(res, assignment)
        cells = [fmt(objs.get(o, (0, 0))[0]) for o in objects]
        total = float(res.get("score", 0) or 0)
        for i, o in enumerate(objects):
            sums[i] += objs.get(o, (0, 0))[0]
        sums[-1] += total
        label = t.get(state, state)
        if state != "grader_error" and (res.get("extra_data") or {}).get("loaded") is False:
            label = t["not_loaded"]
        if (res.get("extra_data") or {}).get("review"):  # flagged for an instructor (docs/security.md)
            label += f" ({t['review']})"
        body.append([name] + cells + [fmt(total), label])
    lines = [header] + body
    if len(rows) > 1:
        lines.append([t["mean"]] + [fmt(s / len(rows)) for s in sums] + [""])
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


def summary(jobs, out_dir, lang="es") -> str:
    t = TEXT.get(lang, TEXT["es"])
    graded = sum(j.state == "graded" for j in jobs)
    resumed = sum(j.state == "resumed" for j in jobs)
    errors = sum(j.state == "grader_error" for j in jobs)
    lines = [t["summary"].format(n=len(jobs), graded=graded, resumed=resumed, errors=errors, out=out_dir)]
    if errors:
        lines.append(t["grader_errors"].format(errors=errors))
    return "\n".join(lines)
