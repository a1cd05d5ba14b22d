"""What `nbgrader generate_feedback` shows of the grade cells: never the hidden call.

nbgrader restores each grade cell's full source at autograde, hidden tests included, and its
feedback HTML shows that source. Ours is two lines that name the grader's hook
(`from autograder.nbgrader_hook import hidden_score` / `hidden_score("ps1_corr2d", "corr2d")`);
`HideHiddenTests` replaces them, in the feedback copy only, with a comment in the course's
language (AUTOGRADER_LANG, as for the rest of the nbgrader route). The cell
outputs (the trusted feedback text and score, autograder.nbgrader_snapshot.TrustedGradeCells)
stay as they are. In nbgrader_config.py:

    from autograder.nbgrader_feedback import feedback_preprocessors
    c.GenerateFeedback.preprocessors = feedback_preprocessors()
"""
from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from .i18n import N_, tr
from .nbgrader_hook import is_hook_cell

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


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback notebooks: the grade cells that call hidden_score show PLACEHOLDER instead of the
    call (their outputs are kept)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_hook_cell(cell):
            from .nbgrader_snapshot import _settings
            cell.source = hide_hook_lines(cell.source, lang=_settings()[0])
        return cell, resources


def embedded_page(html: str, lang: str | None = None):
    """A raw HTML cell showing the page in an iframe (srcdoc: self-contained, its styles kept
    apart from nbgrader's), appended to the feedback notebook."""
    import html as html_lib

    import nbformat

    heading = html_lib.escape(tr(lang, "Tu devolución con gráficos"))
    title = html_lib.escape(tr(lang, "Devolución del corrector"), quote=True)
    frame = (f'<h2>{heading}</h2>\n<iframe title="{title}" style="width:100%;height:1400px;'
             'border:1px solid #ccc" srcdoc="' + html_lib.escape(html, quote=True) + '"></iframe>')
    return nbformat.v4.new_raw_cell(frame, metadata={"raw_mimetype": "text/html"})


class AttachStudentPage(NbGraderPreprocessor):
    """The student's report page (autograder/pages, heatmaps and all), built from the trusted
    result of the snapshot `nbgrader autograde` graded, reaches the student through nbgrader's
    own feedback route: embedded at the end of the feedback notebook (so `release_feedback` /
    `fetch_feedback` deliver it inside `<notebook>.html`), and also written beside it as
    `<notebook>.autograder.html` for the instructor. A notebook without a snapshot or a cached
    result gets no page; nothing here can stop nbgrader's own feedback."""

    def preprocess(self, nb, resources):
        try:
            page = self._page(resources)
        except Exception as exc:  # noqa: BLE001 - the page is a bonus, never a reason to fail
            self.log.warning("autograder: no report page: %s", exc)
            page = None
        if page is not None:
            name, html, lang = page
            resources.setdefault("outputs", {})[name] = html.encode("utf-8")
            nb.cells.append(embedded_page(html, lang))
        return nb, resources

    def _page(self, resources):
        from nbgrader.coursedir import CourseDirectory

        from .nbgrader_snapshot import Store, _settings, cached_result
        from .pages.build import student_page

        info = resources.get("nbgrader") or {}
        student, assignment, notebook = info.get("student"), info.get("assignment"), info.get("notebook")
        if not (student and assignment and notebook):
            return None
        cd = CourseDirectory(config=self.config)
        store = Store(cd.root, cd.autograded_directory)
        snap = store.find(assignment, student, notebook)
        if snap is None:
            return None
        lang, device = _settings()
        result = cached_result(snap.path, assignment, lang=lang, device=device, cache_dir=store.cache_dir)
        if result is None:
            return None
        return f"{notebook}.autograder.html", student_page(result, student, lang), lang


def feedback_preprocessors() -> list:
    """nbgrader's GenerateFeedback preprocessors with HideHiddenTests and SanitizeStudentOutputs
    first (also for notebooks autograded before the sanitiser existed) and AttachStudentPage
    last."""
    from nbgrader.converters.generate_feedback import GenerateFeedback

    from .nbgrader_sanitize import SanitizeStudentOutputs
    pps = list(GenerateFeedback.class_traits()["preprocessors"].default())
    ours = (HideHiddenTests, SanitizeStudentOutputs, AttachStudentPage)
    return [HideHiddenTests, SanitizeStudentOutputs, *(p for p in pps if p not in ours), AttachStudentPage]
