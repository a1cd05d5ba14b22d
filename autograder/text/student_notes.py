"""The student's text for what the sandbox reports as data: load notes and crashes.

The worker (autograder/sandboxed/worker/loader.py) and the Session (autograder/sandbox/) never hold text:
a load note is (code, fields), a StudentCrash has reason, code and fields. The trusted side words
them here, in the student's language, through the catalogue (autograder/text/i18n.py).
"""
from __future__ import annotations

from .i18n import N_, tr

LOAD_NOTES = {
    "syntax_error": N_("{label}: línea {line}: {message}"),
    "too_deep": N_("{label}: el código está anidado demasiado profundo; se ignoró."),
    "not_compiled": N_("{label}, línea {line}: no se pudo compilar (¿anidado demasiado profundo?); se ignoró."),
    "timeout": N_("{label}, línea {line}: tardó más de {seconds:g} s y se abandonó. Deja el entrenamiento "
                  "y las pruebas fuera de las celdas de definición."),
    "exec_error": N_("{label}, línea {line}: {type}: {message}"),
    "skipped": N_("{label}: no se ejecutó al corregir ({shown})."),
    "load_crash": N_("Al cargar tu código el proceso terminó ({reason}: {detail}). Se volvió a cargar "
                     "ejecutando solo los import y las definiciones (def/class)."),
    "load_failed": N_("el código no se pudo cargar: {reason} ({detail})"),
    "sandbox_unisolated": N_("Aviso: el código se ejecutó sin aislamiento (bubblewrap no disponible)."),
}

SKIPPED_KINDS = {   # autograder/sandboxed/worker/loader.py's SKIPPED_KINDS
    "expression": N_("una expresión (llamada, print o gráfico)"),
    "for": N_("un bucle for"),
    "while": N_("un bucle while"),
    "with": N_("un bloque with"),
}

CRASHES = {         # StudentCrash.code (autograder/sandbox/session.py)
    "timeout": N_("más de {seconds:g} s"),
    "output_limit": N_("tu código imprimió más de {kb} KB"),
    "worker_ended": N_("el proceso que ejecutaba tu código terminó"),
    "wire": "{error}",
    "unreadable_reply": N_("respuesta ilegible ({error})"),
    "malformed_reply": N_("respuesta con formato incorrecto"),
    "reply_without_value": N_("respuesta sin valor"),
    "malformed_error": N_("error con formato incorrecto"),
    "no_time_left": N_("sin tiempo: se usaron los {seconds:g} s de la entrega"),
    "budget_used": N_("se usaron los {seconds:g} s de la entrega"),
    "load_failed": LOAD_NOTES["load_failed"],
}


def _line(value):
    return value if isinstance(value, int) else "?"


def crash_detail(lang, crash) -> str:
    """What happened, for a StudentCrash or its as_data() list (the "detail" after its reason)."""
    if isinstance(crash, (list, tuple)):
        reason, code, fields = (list(crash) + ["", "", {}])[:3]
    else:
        reason, code, fields = crash.reason, crash.code, crash.fields
    fields = dict(fields or {})
    if code == "load_failed":
        inner = fields.get("crash") or ["", "", {}]
        text = tr(lang, CRASHES[code], reason=inner[0], detail=crash_detail(lang, inner))
    elif code in CRASHES:
        text = tr(lang, CRASHES[code], **{"error": "", "seconds": 0, "kb": 0, **fields})
    else:
        text = str(code or reason)
    if "exit_code" in fields:
        text = tr(lang, "{detail}; código de salida {exit_code}", detail=text, exit_code=fields["exit_code"])
    return text


def _skipped(lang, fields):
    items = [tr(lang, "línea {line}: {what}", line=_line(line),
                what=tr(lang, SKIPPED_KINDS[what]) if what in SKIPPED_KINDS else what)
             for line, what in fields.get("items", ())]
    return "; ".join(items) + (" …" if fields.get("more") else "")


def note_text(lang, note) -> str:
    """One load note in `lang`: a (code, fields) pair from the worker or the Session; a plain
    string (autograder/intake/submission.py's notes) is already text."""
    if not isinstance(note, (list, tuple)) or len(note) != 2:
        return str(note)
    code, fields = note
    if not isinstance(fields, dict):
        return str(fields)
    label = fields.get("label", "")
    if code == "too_deep" and "line" in fields:
        code = "not_compiled"
    if code in ("load_crash", "load_failed"):
        crash = fields.get("crash") or ["", "", {}]
        return tr(lang, LOAD_NOTES[code], reason=crash[0], detail=crash_detail(lang, crash))
    if code == "skipped":
        return tr(lang, LOAD_NOTES[code], label=label, shown=_skipped(lang, fields))
    if code in LOAD_NOTES:
        values = {"line": "?", "message": "", "type": "", "seconds": 0, **fields}
        values["line"] = _line(values["line"])
        return tr(lang, LOAD_NOTES[code], **values)
    return f"{label}: {code}" if label else str(code)


def notes_text(lang, notes) -> list[str]:
    return [note_text(lang, n) for n in notes]
