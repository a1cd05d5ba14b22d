"""`autograder grade --nbgrader ROOT --assignment ID`: grade an nbgrader course's submissions with
the hardened grader and put the scores where nbgrader's tools show them.

For every `ROOT/submitted/<student>/<ID>/` folder (nbgrader's layout, read from
ROOT/nbgrader_config.py when present):

1. each notebook of the assignment is graded with `engine.grade` (outside any Jupyter kernel:
   the student's copy of test cells plays no part, only the definitions are loaded, in the
   sandbox);
2. the gradebook gets, for every grade cell whose hidden part calls
   `hidden_score(ID, OBJECT)`, the object's points as the cell's *auto score* (`Grade.auto_score`,
   what `nbgrader autograde` writes). Manual scores are kept; formgrader, `generate_feedback` and
   `export` show the hardened scores. The student and the submission are created if needed
   (as `nbgrader autograde` does); the assignment must exist (`nbgrader generate_assignment`);
3. if `nbgrader autograde` already wrote `ROOT/autograded/<student>/<ID>/<nb>.ipynb`, the outputs
   of those grade cells are replaced with the hardened feedback and score, so that
   `nbgrader generate_feedback` shows the same text as the scores;
4. a CSV with the columns of `nbgrader export` is written (nbgrader's own CSV exporter, limited
   to this assignment; without a gradebook, the same columns computed here).
"""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from .nbgrader_hook import HOOK_CALL, feedback_text, object_scores
from .scoring import POINTS

EXPORT_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                  "email", "raw_score", "late_submission_penalty", "score", "max_score"]


def add_arguments(parser) -> None:
    """Options of `autograder grade` for this mode (the grade parser owns --assignment, --lang,
    --device)."""
    parser.add_argument("--nbgrader", metavar="ROOT",
                        help="nbgrader course directory: grade every submitted/<student>/<ID>/ and "
                             "write the scores into its gradebook (+ a CSV like `nbgrader export`)")
    parser.add_argument("--student", action="append", metavar="ID",
                        help="with --nbgrader: only these students (repeatable)")
    parser.add_argument("--csv", metavar="PATH",
                        help="with --nbgrader: CSV to write (default ROOT/grades-<ID>.csv)")
    parser.add_argument("--no-gradebook", action="store_true",
                        help="with --nbgrader: leave the gradebook alone, only write the CSV")


class CourseLayout:
    """The parts of nbgrader's CourseDirectory this mode needs, with ROOT's config applied."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        from nbgrader.coursedir import CourseDirectory
        config = None
        cfg_file = self.root / "nbgrader_config.py"
        if cfg_file.is_file():
            from traitlets.config.loader import PyFileConfigLoader
            config = PyFileConfigLoader(cfg_file.name, path=str(self.root)).load_config()
        cd = CourseDirectory(config=config) if config is not None else CourseDirectory()
        cd.root = str(self.root)
        self.cd = cd
        self.db_url = cd.db_url
        self.course_id = cd.course_id or "default_course"

    def folder(self, step: str, student: str, assignment: str) -> Path:
        return Path(self.cd.format_path(step, student, assignment))

    def submitted(self, student, assignment):
        return self.folder(self.cd.submitted_directory, student, assignment)

    def autograded(self, student, assignment):
        return self.folder(self.cd.autograded_directory, student, assignment)

    def students(self, assignment: str) -> list[str]:
        base = self.root / self.cd.submitted_directory
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir()
                      if not p.name.startswith(".") and self.submitted(p.name, assignment).is_dir())

    def timestamp(self, student, assignment):
        return self.cd.get_existing_timestamp(str(self.submitted(student, assignment)))


def _grade_cell_objects(gb, notebook, assignment: str) -> dict:
    """{grade cell name: graded object} for the grade cells of `notebook` (a gradebook Notebook)
    whose stored source (hidden tests included) calls hidden_score(assignment, object)."""
    out = {}
    for gc in notebook.grade_cells:
        source = gb.find_source_cell(gc.name, notebook.name, assignment).source
        for m in HOOK_CALL.finditer(source):
            if m.group(1) == assignment and m.group(2) in POINTS[assignment]:
                out[gc.name] = m.group(2)
    return out


def _update_autograded(nb_path: Path, cell_objects: dict, result, assignment, lang) -> bool:
    """Replace the outputs of the hook's grade cells in an autograded notebook with the hardened
    feedback and score. Returns True when the file was rewritten."""
    import nbformat
    if not nb_path.is_file():
        return False
    nb = nbformat.read(str(nb_path), as_version=4)
    scores = object_scores(result, assignment) if result is not None else None
    changed = False
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") != "code" or gid not in cell_objects:
            continue
        obj = cell_objects[gid]
        if scores is None:
            text, score = f"{obj}: 0 / {POINTS[assignment][obj]:g}", 0.0
        else:
            text, score = feedback_text(result, assignment, obj, lang), scores[obj]["score"]
        count = cell.get("execution_count")
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(score))},
                                   execution_count=count),
        ]
        changed = True
    if changed:
        tmp = nb_path.with_name(nb_path.name + ".tmp")
        nbformat.write(nb, str(tmp))
        os.replace(tmp, nb_path)
    return changed


def grade_course(root, assignment: str, *, lang: str = "es", device: str = "auto", students=None,
                 csv_path=None, update_gradebook: bool = True, update_autograded: bool = True,
                 grade=None, log=None) -> list[dict]:
    """Grade every submission of `assignment` in the nbgrader course at `root`.

    Returns one row per student: {"student_id", "score", "max_score", "notebooks": {name: result}}.
    `grade` (default engine.grade) is grade(path, assignment, lang=, device=) -> results dict.
    """
    if assignment not in POINTS:
        raise SystemExit(f"unknown assignment {assignment!r} (known: {', '.join(POINTS)})")
    if grade is None:
        from .engine import grade
    log = log or (lambda msg: print(msg, file=sys.stderr))
    layout = CourseLayout(root)
    wanted = layout.students(assignment)
    if students:
        missing = sorted(set(students) - set(wanted))
        for s in missing:
            log(f"{s}: no submission folder {layout.submitted(s, assignment)}")
        wanted = [s for s in wanted if s in set(students)]
    if not wanted:
        log(f"no submissions of {assignment} under {layout.root / layout.cd.submitted_directory}")

    gb = None
    if update_gradebook:
        from nbgrader.api import Gradebook, MissingEntry
        gb = Gradebook(layout.db_url, layout.course_id)
        try:
            gb_assignment = gb.find_assignment(assignment)
        except MissingEntry:
            gb.close()
            raise SystemExit(f"{assignment} is not in the gradebook {layout.db_url}: run "
                             f"`nbgrader generate_assignment {assignment}` in {layout.root} first")
        notebook_names = [nb.name for nb in gb_assignment.notebooks]
        cell_objects = {nb.name: _grade_cell_objects(gb, nb, assignment) for nb in gb_assignment.notebooks}
    else:
        notebook_names = [assignment]
        cell_objects = {assignment: {}}

    rows = []
    try:
        for student in wanted:
            folder = layout.submitted(student, assignment)
            results = {}
            for name in notebook_names:
                path = folder / f"{name}.ipynb"
                if not path.is_file() and not update_gradebook:
                    path = folder          # a folder submission: let the engine pick the file
                if path.exists():
                    results[name] = grade(str(path), assignment, lang=lang, device=device)
                else:
                    log(f"{student}: no {path.name}: 0 points for its grade cells")
                    results[name] = None
            row = _row(student, assignment, results)
            row["timestamp"] = layout.timestamp(student, assignment)
            rows.append(row)
            if gb is not None:
                _write_grades(gb, layout, student, assignment, results, cell_objects, row["timestamp"])
            if update_autograded:
                for name, result in results.items():
                    nb_path = layout.autograded(student, assignment) / f"{name}.ipynb"
                    objs = cell_objects.get(name) or {f"test_{o}": o for o in POINTS[assignment]}
                    _update_autograded(nb_path, objs, result, assignment, lang)
            log(f"{student}: {row['score']:g} / {row['max_score']:g}")
        csv_path = Path(csv_path) if csv_path else layout.root / f"grades-{assignment}.csv"
        if gb is not None:
            _export_csv(gb, csv_path, assignment, wanted if students else [])
        else:
            _write_csv(csv_path, assignment, rows)
        log(f"wrote {csv_path}")
    finally:
        if gb is not None:
            gb.close()
    return rows


def _row(student, assignment, results) -> dict:
    total = 0.0
    for result in results.values():
        if result is not None:
            total += sum(e["score"] for e in object_scores(result, assignment).values())
    return {"student_id": student, "score": round(total, 6),
            "max_score": float(sum(POINTS[assignment].values())), "notebooks": results}


def _write_grades(gb, layout, student, assignment, results, cell_objects, timestamp) -> None:
    gb.update_or_create_student(student)
    kwargs = {"timestamp": timestamp} if timestamp else {}
    gb.update_or_create_submission(assignment, student, **kwargs)
    for name, result in results.items():
        scores = object_scores(result, assignment) if result is not None else None
        for cell_name, obj in cell_objects.get(name, {}).items():
            grade = gb.find_grade(cell_name, name, assignment, student)
            grade.auto_score = scores[obj]["score"] if scores is not None else 0.0
            # as nbgrader's SaveAutoGrades: a manual score present -> needs review
            grade.needs_manual_grade = grade.manual_score is not None
    gb.db.commit()


def _export_csv(gb, path: Path, assignment: str, students) -> None:
    """nbgrader's own CSV exporter (same columns and values as `nbgrader export`), one assignment."""
    from nbgrader.plugins.export import CsvExportPlugin
    plugin = CsvExportPlugin(to=str(path), assignment=[assignment], student=list(students))
    path.parent.mkdir(parents=True, exist_ok=True)
    plugin.export(gb)


def _write_csv(path: Path, assignment: str, rows) -> None:
    """The columns of `nbgrader export` without a gradebook (no names, due date or penalties)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({
                "assignment": assignment, "duedate": "", "timestamp": row.get("timestamp") or "",
                "student_id": row["student_id"], "last_name": "", "first_name": "", "email": "",
                "raw_score": row["score"], "late_submission_penalty": 0.0, "score": row["score"],
                "max_score": row["max_score"],
            })


def run(args) -> int:
    """Entry point from `autograder grade` when --nbgrader is given."""
    if not getattr(args, "assignment", None):
        print("autograder grade --nbgrader ROOT needs --assignment ID", file=sys.stderr)
        return 2
    rows = grade_course(args.nbgrader, args.assignment, lang=getattr(args, "lang", None) or "es",
                        device=getattr(args, "device", None) or "auto",
                        students=getattr(args, "student", None), csv_path=getattr(args, "csv", None),
                        update_gradebook=not getattr(args, "no_gradebook", False))
    return 0 if rows is not None else 1
