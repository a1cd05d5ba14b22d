"""What `nbgrader generate_feedback` shows of the grade cells: never the hidden call.

nbgrader restores each grade cell's full source at autograde, hidden tests included, and its
feedback HTML shows that source. Ours is two lines that name the grader's hook
(`from autograder.nbgrader_hook import hidden_score` / `hidden_score("ps1_corr2d", "corr2d")`);
`HideHiddenTests` replaces them, in the feedback copy only, with a comment in the course's
language (AUTOGRADER_LANG, as for the rest of the nbgrader route). The cell
outputs (the trusted feedback text and score, autograder.nbgrader.preprocessors.TrustedGradeCells)
stay as they are. `DescribeImages` gives every plot alternative text, and `AttachStudentPage`
appends the student's graphical page (autograder/pages) to the feedback notebook as an HTML
output, so that the `<notebook>.html` that `release_feedback`/`fetch_feedback` deliver shows it.
In nbgrader_config.py:

    from autograder.nbgrader.feedback import feedback_preprocessors
    c.GenerateFeedback.preprocessors = feedback_preprocessors()
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder.nbgrader.grade_cells import is_hook_cell
from autograder.text.i18n import N_, tr

PLACEHOLDER = N_("# Pruebas ocultas del corrector: ver el resultado abajo")
_HIDDEN_REGION = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS.*?^[ \t]*#+[ \t]*END HIDDEN TESTS[^\n]*$",
                            re.MULTILINE | re.DOTALL)
_HOOK_LINE = re.compile(r"hidden_score|nbgrader_hook")


def hide_hook_lines(source: str, lang: str | None = None) -> str:
    """`source` with each hidden-tests region, and any other line that names the hook, replaced
    by one PLACEHOLDER line in lang (consecutive ones merged)."""
    placeholder = tr(lang, PLACEHOLDER)
    source = _HIDDEN_REGION.sub(lambda _: placeholder, source)
    lines = []
    for line in source.splitlines():
        if _HOOK_LINE.search(line):
            line = placeholder
        if line == placeholder and lines and lines[-1] == placeholder:
            continue
        lines.append(line)
    return "\n".join(lines)


class _FeedbackPreprocessor(Preprocessor):
    """Base of our GenerateFeedback preprocessors: nbconvert's Preprocessor, enabled. (nbgrader's
    NbGraderPreprocessor redeclares `display_data_priority` without config=True, so traitlets warns
    "Config option `display_data_priority` not recognized" for it once HTMLExporter's default
    config sets NbConvertBase.display_data_priority, as GenerateFeedback's does.)"""

    enabled = Bool(True, config=True, help="nbconvert preprocessors are off unless enabled")


class HideHiddenTests(_FeedbackPreprocessor):
    """Feedback notebooks: the grade cells that call hidden_score show PLACEHOLDER instead of the
    call (their outputs are kept)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_hook_cell(cell):
            from autograder.nbgrader.trusted_grading import settings
            cell.source = hide_hook_lines(cell.source, lang=settings()[0])
        return cell, resources


IMAGE_ALT = N_("Figura que dibujó tu cuaderno")
IMAGE_ALT_IN = N_("Figura que dibujó tu cuaderno en la sección «{section}»")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def image_alt(section: str | None, lang: str | None = None) -> str:
    """The alternative text of a picture the notebook drew (a plot), named by its section."""
    return tr(lang, IMAGE_ALT_IN).format(section=section) if section else tr(lang, IMAGE_ALT)


class DescribeImages(_FeedbackPreprocessor):
    """Every PNG/JPEG output gets alternative text (nbconvert's `alt` output metadata) unless it
    has one: "the figure your notebook drew in section «<last markdown heading above>»". Without
    it nbconvert warns "Alternative text is missing on N image(s)" and screen readers get nothing."""

    def preprocess(self, nb, resources):
        from autograder.nbgrader.trusted_grading import settings
        lang, section = settings()[0], None
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                headings = _HEADING.findall(cell.source or "")
                if headings:
                    section = re.sub(r"[*_`]", "", headings[-1]).strip() or section
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                data = output.get("data") or {}
                for mime in ("image/png", "image/jpeg"):
                    if mime in data:
                        meta = output.setdefault("metadata", {}).setdefault(mime, {})
                        if not meta.get("alt"):
                            meta["alt"] = image_alt(section, lang)
        return nb, resources


# The feedback template (nbgrader's, on nbconvert's classic one with Bootstrap 3) shows outputs in
# <pre> with white-space: pre: a long feedback line runs off the page. Wrap them.
WRAP_CSS = ("div.output_area pre, div.output_subarea pre, div.output_text pre "
            "{ white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal; }")


def page_cell(fragment: str, lang: str | None = None, official=None):
    """A code cell without source whose one output is the student's page as HTML (the scoped
    fragment of autograder.pages, not an iframe): nbconvert's template writes a text/html output
    as it is, where it would clean (escape) an iframe in a raw cell. official: (gradebook score,
    grader's score, max) when the instructor changed a score by hand: the page says which total
    counts."""
    import html as html_lib

    import nbformat

    heading = html_lib.escape(tr(lang, "Tu devolución con gráficos"))
    note = ""
    if official is not None:
        note = '<p class="ag-manual" id="manual-note">' + html_lib.escape(tr(
            lang, "Tu docente ajustó la nota a mano: la nota oficial es {official:g} / {max:g}, la del "
                  "encabezado de este documento. Esta página muestra la del corrector automático, "
                  "{auto:g} / {max:g}.", official=official[0], auto=official[1], max=official[2])) + "</p>\n"
    html = f'<h2 id="autograder-page">{heading}</h2>\n{note}{fragment}'
    cell = nbformat.v4.new_code_cell("", metadata={"transient": {"remove_source": True},
                                                   "autograder": {"page": True}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": heading})]
    return cell


class AttachStudentPage(_FeedbackPreprocessor):
    """The student's report page (autograder/pages, heatmaps and all), built from the trusted
    result of the snapshot `nbgrader autograde` graded, reaches the student through nbgrader's
    own feedback route: appended to the feedback notebook as an HTML output (so
    `release_feedback` / `fetch_feedback`, which carry only `<notebook>.html`, deliver it), and
    also written beside it as `<notebook>.autograder.html` for the instructor. Also adds WRAP_CSS
    to the page's inline styles. A notebook without a snapshot or a cached result gets no page;
    nothing here can stop nbgrader's own feedback."""

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        try:
            page = self._page(resources)
        except Exception as exc:  # noqa: BLE001 - the page is a bonus, never a reason to fail
            self.log.warning("autograder: no report page: %s", exc)
            page = None
        if page is not None:
            name, html, fragment, lang, auto, top = page
            resources.setdefault("outputs", {})[name] = html.encode("utf-8")
            # nbgrader's GetGrades (before us) put the gradebook's total, manual scores included
            official = (resources.get("nbgrader") or {}).get("score")
            manual = isinstance(official, (int, float)) and abs(float(official) - float(auto)) > 1e-9
            nb.cells.append(page_cell(fragment, lang, (float(official), float(auto), float(top)) if manual else None))
        return nb, resources

    def _page(self, resources):
        from nbgrader.coursedir import CourseDirectory

        from autograder.nbgrader.snapshot import Store
        from autograder.nbgrader.trusted_grading import cached_result, settings
        from autograder.pages.build import student_fragment, student_page

        info = resources.get("nbgrader") or {}
        student, assignment, notebook = info.get("student"), info.get("assignment"), info.get("notebook")
        if not (student and assignment and notebook):
            return None
        cd = CourseDirectory(config=self.config)
        store = Store(cd.root, cd.autograded_directory)
        snap = store.find(assignment, student, notebook)
        if snap is None:
            return None
        lang, device = settings()
        result = cached_result(snap.path, assignment, lang=lang, device=device, cache_dir=store.cache_dir)
        if result is None:
            return None
        return (f"{notebook}.autograder.html", student_page(result, student, lang),
                student_fragment(result, student, lang), lang, result.get("score") or 0,
                result.get("max_score") or 0)


def feedback_preprocessors() -> list:
    """nbgrader's GenerateFeedback preprocessors with HideHiddenTests and SanitizeStudentOutputs
    first (also for notebooks autograded before the sanitiser existed), DescribeImages after
    them and AttachStudentPage last (after nbgrader's CSSHTMLHeaderPreprocessor, whose inline
    styles it extends)."""
    from nbgrader.converters.generate_feedback import GenerateFeedback

    from autograder.nbgrader.sanitize import SanitizeStudentOutputs
    pps = list(GenerateFeedback.class_traits()["preprocessors"].default())
    ours = (HideHiddenTests, SanitizeStudentOutputs, DescribeImages, AttachStudentPage)
    return [HideHiddenTests, SanitizeStudentOutputs, DescribeImages, *(p for p in pps if p not in ours),
            AttachStudentPage]
