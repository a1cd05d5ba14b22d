"""Where a student's exception passed through their own code: the student frames of a worker
traceback, worded for the feedback."""
from __future__ import annotations

import re

from autograder.text.i18n import tr

_FRAME = re.compile(r'^\s*File "<student:(?P<label>[^"\n]*)>", line (?P<line>\d+), in (?P<func>[^\n]+)$')


def student_frames(traceback_text: str) -> list[tuple[str, int, str, str]]:
    """[(cell or file label, line, function, code line or "")] of the student's frames in a
    worker traceback (autograder/sandboxed/worker/main.py keeps only those), outermost first."""
    frames = []
    lines = (traceback_text or "").splitlines()
    for i, text in enumerate(lines):
        m = _FRAME.match(text)
        if not m:
            continue
        code = ""
        if i + 1 < len(lines) and not _FRAME.match(lines[i + 1]) and lines[i + 1].startswith("    "):
            code = lines[i + 1].strip()
        frames.append((m.group("label"), int(m.group("line")), m.group("func").strip(), code))
    return frames


def student_location(traceback_text: str, lang: str | None = "es") -> str:
    """Text naming where the exception last passed through the student's code (the innermost
    student frame, even when the exception itself was raised inside torch), plus the student's
    call chain when there is more than one frame; "" without student frames."""
    frames = student_frames(traceback_text)
    if not frames:
        return ""
    label, line, func, code = frames[-1]
    shown = ": `" + code + "`" if code else ""
    text = "\n" + tr(lang, "Dónde: {label}, línea {line}, en {function}{code}", label=label,
                     line=line, function=func, code=shown)
    if len(frames) > 1:
        chain = " → ".join(f"{f} ({lab}, {ln})" for lab, ln, f, _ in frames[-5:])
        text += "\n" + tr(lang, "Llamadas en tu código: {chain}", chain=chain)
    return text
