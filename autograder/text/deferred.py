"""Student-facing text whose language is chosen when it is shown (a result rendered later,
in the student's or the instructor's language)."""
from __future__ import annotations

from autograder.text.i18n import tr


class Text:
    """Student-facing text whose language is chosen when it is shown: catalogue messages (marked
    with N_) with their fields, and literal pieces (separators, numbers already formatted)."""

    def __init__(self, message: str = "", /, **fields):
        self.parts = ((message, fields),) if message else ()

    def __add__(self, other: "Text | str") -> "Text":
        joined = Text()
        joined.parts = self.parts + (other.parts if isinstance(other, Text) else (other,))
        return joined

    def __radd__(self, other: str) -> "Text":
        joined = Text()
        joined.parts = (other,) + self.parts
        return joined

    def render(self, lang: str | None = "es") -> str:
        return "".join(part if isinstance(part, str) else tr(lang, part[0], **part[1])
                       for part in self.parts)

