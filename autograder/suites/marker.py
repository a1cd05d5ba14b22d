"""The one declaration of a hidden-suite test: its graded object, points and title, in one marker.

    from autograder.text.i18n import N_
    from autograder.suites import graded

    @graded("corr2d", points=2, title=N_("ejemplo del curso (X 3x3, K 2x2)"))
    def test_corr2d_course_example(student, say): ...

The student sees "corr2d: ejemplo del curso (X 3x3, K 2x2)": the object, then the title (a
Spanish catalogue message) in the session's language. Everything that needs a test's object,
points or title reads them through graded_test(item or function) -> DeclaredTest, nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from autograder.text import i18n

MARKER = "graded"


@dataclass(frozen=True)
class DeclaredTest:
    """What `@graded` declares of a hidden-suite test (results.RecordedTest is its trace in a result)."""
    object: str          # the graded function/class (a key of scoring.POINTS[assignment])
    points: int
    title: str           # Spanish catalogue message, without the object

    def what(self, lang: str | None) -> str:
        return i18n.tr(lang, self.title)

    def name(self, lang: str | None) -> str:
        """The test's displayed name: "corr2d: <title in lang>"."""
        return f"{self.object}: {self.what(lang)}" if self.object else self.what(lang)

    def titles(self) -> dict:
        """{"title_es": name in Spanish, "title_en": ..., one per catalogue language}."""
        return {f"title_{lang}": self.name(lang) for lang in i18n.languages()}


def graded(obj: str, *, points: int, title: str):
    """Decorator declaring a hidden-suite test: `obj` is graded, the test is worth `points`,
    `title` (mark it N_("...")) says what it checks."""
    if not (isinstance(obj, str) and obj and isinstance(points, int) and points > 0
            and isinstance(title, str) and title):
        raise TypeError("graded(object, points=positive int, title=N_('...'))")
    return getattr(pytest.mark, MARKER)(obj, points=points, title=title)


def _closest(node, name):
    if hasattr(node, "get_closest_marker"):          # a pytest item
        return node.get_closest_marker(name)
    for mark in getattr(node, "pytestmark", []):     # a decorated test function
        if mark.name == name:
            return mark
    return None


def graded_test(node) -> DeclaredTest | None:
    """The declaration of a suite test (a pytest item or the test function), None when it
    declares nothing."""
    mark = _closest(node, MARKER)
    if mark is None:
        return None
    return DeclaredTest(mark.args[0], mark.kwargs["points"], mark.kwargs["title"])
