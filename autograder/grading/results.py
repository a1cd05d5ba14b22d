"""Typed results and Gradescope's results.json schema.

A submission's result is a ``SubmissionResult`` (its ``TestResult`` entries, each for a
``RecordedTest``: graded object, points, titles), built by the engine and read back from a
results.json with ``SubmissionResult.from_gradescope``; ``to_gradescope()`` is the JSON that is
written (autograder/grading/result_files.py writes it). ``object_scores()`` is the one per-object
sum of scores (report table, nbgrader cells).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.text.i18n import N_, tr

_TEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "score": (int, float), "max_score": (int, float), "status": str, "output": str, "visibility": str}


# ---------------------------------------------------------------- typed results

VISIBLE = "visible"
PASSED, FAILED = "passed", "failed"
# The output of a result the grader itself failed to produce (engine, Gradescope's run_autograder).
GRADER_FAILED = N_("Error interno del corrector: no se pudo calificar esta entrega (no es un error "
                   "de tu código). Avisa al equipo docente.")


def object_in_title(title: str) -> str:
    """The graded object a title names: titles begin with it and a colon (docs/architecture.md).
    Only for what does not carry the object itself (suite records without one, results.json
    written before tests' extra_data carried "object")."""
    return str(title).split(":", 1)[0].strip()


def _num(x):
    x = round(float(x or 0), 6)
    return int(x) if x.is_integer() else x


def _unique(names):
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        seen.setdefault(n, 1)
        out.append(n)
    return out


@dataclass
class RecordedTest:
    """A hidden-suite test as a result records it (the suite declares it as marker.DeclaredTest):
    the graded object it checks, its points, its title per language ({"es": "corr2d: ...", ...})."""
    object: str
    points: float
    titles: dict

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang) or self.titles.get("es") or next(iter(self.titles.values()), "")

    @classmethod
    def from_record(cls, record: dict, default_title: str = "") -> "RecordedTest":
        """From a suite test's record (autograder.suites.plugin.item_info: "points", "title_<lang>",
        "object"); a record without an object names it in its Spanish title."""
        titles = {key[len("title_"):]: str(value) for key, value in record.items()
                  if key.startswith("title_") and value}
        titles = titles or {"es": default_title}
        obj = record.get("object") or object_in_title(titles.get("es") or next(iter(titles.values())))
        return cls(str(obj), record.get("points") or 0, titles)


@dataclass
class TestResult:
    """The outcome of one RecordedTest for one submission. extra_data: trusted data for the report
    pages (tensors seen, a training curve), never student-facing text; review: what an
    instructor should look at (docs/security.md)."""
    test: RecordedTest
    score: float
    status: str                       # PASSED | FAILED
    output: str = ""
    misconception: str | None = None
    extra_data: dict = field(default_factory=dict)
    review: list = field(default_factory=list)

    __test__ = False                  # not a pytest test class

    @property
    def lost_points(self) -> bool:
        return self.score < self.test.points or self.status == FAILED

    def to_gradescope(self, name: str, visibility: str) -> dict:
        entry = {"name": name, "score": _num(self.score), "max_score": _num(self.test.points),
                 "status": self.status, "output": self.output, "visibility": visibility}
        extra = {"object": self.test.object, **self.extra_data}
        if self.misconception:
            extra["misconception"] = self.misconception
        if self.review:
            extra["review"] = list(self.review)
        entry["extra_data"] = extra
        return entry

    @classmethod
    def from_gradescope(cls, entry: dict, lang: str = "es") -> "TestResult":
        extra = dict(entry.get("extra_data") or {})
        name = str(entry.get("name", ""))
        obj = extra.pop("object", None) or object_in_title(name)   # results.json written before
        test = RecordedTest(str(obj), entry.get("max_score") or 0, {lang: name})
        return cls(test, entry.get("score") or 0, str(entry.get("status", FAILED)),
                   str(entry.get("output") or ""), extra.pop("misconception", None), extra,
                   list(extra.pop("review", None) or ()))


def as_result(result, assignment: str | None = None) -> "SubmissionResult":
    """`result` itself when it is a SubmissionResult, else its results.json read back."""
    if isinstance(result, SubmissionResult):
        return result
    return SubmissionResult.from_gradescope(result, assignment)


def test_object(entry: dict) -> str:
    """The graded object of one results.json test entry."""
    return TestResult.from_gradescope(entry).test.object


@dataclass
class ObjectScore:
    """A graded object's share of a result: its score, its maximum and its tests."""
    score: float
    max_score: float
    tests: list = field(default_factory=list)

    @property
    def failed(self) -> list:
        return [t for t in self.tests if t.lost_points]


@dataclass
class SubmissionResult:
    """The result of one submission. Its general output is `message` followed by the notes on
    reading the submission (rendered in `lang`); extra_data holds what results.json carries
    besides assignment, lang and grader_error ("loaded", "student_seconds", ...)."""
    assignment: str
    tests: list
    lang: str = "es"
    max_score: float = 0
    message: str = ""
    notes: list = field(default_factory=list)
    grader_error: bool = False
    execution_time: float = 0.0
    extra_data: dict = field(default_factory=dict)
    visibility: str | None = None     # Gradescope's; None: every test "visible", no default set

    @property
    def score(self):
        return _num(sum(_num(t.score) for t in self.tests))

    @property
    def needs_review(self) -> bool:
        """An instructor should look at this submission (docs/security.md)."""
        return any(t.review for t in self.tests) or bool(self.extra_data.get("review"))

    @property
    def output(self) -> str:
        notes = ""
        if self.notes:
            notes = tr(self.lang, "Notas sobre la lectura de la entrega:") + "\n" + \
                "\n".join(f"- {n}" for n in self.notes)
        return "\n\n".join(p for p in (self.message, notes) if p)

    def object_scores(self) -> dict[str, ObjectScore]:
        """{object: ObjectScore} for every object of the assignment (scoring.POINTS order, its
        points as maximum, the score kept within 0..maximum), then any other object the tests
        name (the sum of their points as maximum)."""
        from .scoring import POINTS
        out = {obj: ObjectScore(0.0, float(pts)) for obj, pts in POINTS.get(self.assignment, {}).items()}
        extra = set()
        for t in self.tests:
            entry = out.get(t.test.object)
            if entry is None:
                entry = out[t.test.object] = ObjectScore(0.0, 0.0)
                extra.add(t.test.object)
            if t.test.object in extra:
                entry.max_score += float(t.test.points or 0)
            entry.score += float(t.score or 0)
            entry.tests.append(t)
        for obj, entry in out.items():
            entry.score = round(entry.score, 6)
            if obj not in extra:
                entry.score = min(max(entry.score, 0.0), entry.max_score)
        return out

    def to_gradescope(self) -> dict:
        """The results.json of Gradescope's format (score = the sum of the tests' scores)."""
        visibility = self.visibility or VISIBLE
        names = _unique([t.test.title(self.lang) for t in self.tests])
        tests = [t.to_gradescope(name, visibility) for name, t in zip(names, self.tests)]
        extra = {"assignment": self.assignment, "lang": self.lang, "grader_error": bool(self.grader_error)}
        review = [dict(r, test=name) if isinstance(r, dict) else {"test": name, "detail": str(r)}
                  for name, t in zip(names, self.tests) for r in t.review]
        if review:  # an instructor should look at this submission (see docs/security.md)
            extra["review"] = review
        extra.update(self.extra_data)
        data = {"score": self.score, "max_score": self.max_score, "output": self.output,
                "execution_time": round(float(self.execution_time), 3), "tests": tests,
                "extra_data": extra}
        if self.visibility:
            data["visibility"] = self.visibility
            data["stdout_visibility"] = "hidden"       # run_autograder's stdout: the instructor's log
        return data

    @classmethod
    def from_gradescope(cls, data: dict, assignment: str | None = None) -> "SubmissionResult":
        """A results.json read back (also one written before tests carried their object)."""
        extra = dict(data.get("extra_data") or {})
        lang = str(extra.pop("lang", None) or "es")
        found = extra.pop("assignment", None)
        grader_error = bool(extra.pop("grader_error", False))
        tests = [TestResult.from_gradescope(t, lang) for t in data.get("tests") or [] if isinstance(t, dict)]
        if any(t.review for t in tests):
            extra.pop("review", None)                  # rebuilt from the tests' own
        data_visibility = data.get("visibility")
        return cls(assignment or found or "", tests, lang, data.get("max_score") or 0, str(data.get("output") or ""),
                   [], grader_error, float(data.get("execution_time") or 0.0), extra,
                   data_visibility if isinstance(data_visibility, str) else None)


# ---------------------------------------------------------------- schema

def validate(results) -> list[str]:
    """Problems with a results dict (empty list: it is a complete Gradescope result)."""
    problems = []
    if not isinstance(results, dict):
        return ["not a JSON object"]
    for key, kind in (("score", (int, float)), ("max_score", (int, float)), ("output", str),
                      ("execution_time", (int, float)), ("tests", list)):
        if not isinstance(results.get(key), kind) or isinstance(results.get(key), bool):
            problems.append(f"missing or bad '{key}'")
    tests = results.get("tests")
    if isinstance(tests, list):
        names = set()
        for i, t in enumerate(tests):
            if not isinstance(t, dict):
                problems.append(f"tests[{i}] is not an object")
                continue
            for key, test_kind in _TEST_KEYS.items():
                if not isinstance(t.get(key), test_kind) or isinstance(t.get(key), bool):
                    problems.append(f"tests[{i}]: missing or bad '{key}'")
            if t.get("status") not in ("passed", "failed"):
                problems.append(f"tests[{i}]: status must be passed/failed")
            if t.get("name") in names:
                problems.append(f"tests[{i}]: duplicate name {t.get('name')!r}")
            names.add(t.get("name"))
        if not problems:
            total = sum(t["score"] for t in tests)
            if abs(total - results["score"]) > 1e-6:
                problems.append("score is not the sum of the tests' scores")
    return problems


def is_grader_error(results) -> bool:
    if isinstance(results, SubmissionResult):
        return results.grader_error
    return bool(isinstance(results, dict) and (results.get("extra_data") or {}).get("grader_error"))
