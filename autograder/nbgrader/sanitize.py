"""What a student's notebook may put in front of the instructor or in its own feedback: outputs
sanitised before formgrader, `generate_feedback` or anything else renders them.

A cell that calls `display(HTML("<script>..."))` or `display(Javascript(...))`, or a markdown
cell the student wrote with `<script>`/`<iframe>`/`onerror=`, would otherwise reach the
autograded notebook (which formgrader renders for the instructor) and the feedback HTML verbatim.
SanitizeStudentOutputs is nbconvert's maintained sanitiser (SanitizeHTML, on bleach) applied to
what the student controls: every code cell's outputs (the student's code ran in that kernel),
and markdown/raw cells that are not locked release cells (nbgrader restores those from the
release). JavaScript and other unknown output types are dropped; text/html and text/markdown
are cleaned (no script, iframe, style or event handler; unsafe tags removed, their text kept);
plain text, images (PNG/JPEG), LaTeX and JSON are kept as they are, so plots and prints survive.
"""
from __future__ import annotations

from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Any, Bool, List, Unicode

# Harmless structure beyond bleach's defaults, so tables and headings stay readable.
SAFE_TAGS = ["a", "abbr", "acronym", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3",
             "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
             "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
SAFE_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "acronym": ["title"],
                   "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan"]}


def _locked(cell) -> bool:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return bool(meta.get("locked") or meta.get("grade")) and not meta.get("solution")


class SanitizeStudentOutputs(SanitizeHTML):
    """nbconvert's SanitizeHTML on the student-controlled parts of a notebook (see the module)."""

    enabled = Bool(True, config=True, help="nbconvert preprocessors are off unless enabled")
    strip = Bool(True, config=True, help="Remove unsafe markup (its text is kept) instead of escaping it")
    tags = List(Unicode(), default_value=SAFE_TAGS, config=True, help="HTML tags kept")
    attributes = Any(default_value=SAFE_ATTRIBUTES, config=True, help="HTML attributes kept, per tag")

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type in ("markdown", "raw") and _locked(cell):
            return cell, resources
        if cell.cell_type == "code" and "outputs" in cell:
            cell.outputs = self.sanitize_code_outputs(cell.outputs)
            return cell, resources
        if cell.cell_type in ("markdown", "raw"):
            cell.source = self.sanitize_html_tags(cell.source)
        return cell, resources
