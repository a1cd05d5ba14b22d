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
   to this assignment; without a gradebook, the same columns computed here). The file is merged:
   rows of students not graded in this run (`--student`) and of other assignments are kept; it
   is replaced atomically (temporary file + os.replace);
5. with --out, OUT/<student>/results.json (Gradescope format, as `autograder grade`); the score
   table of `autograder grade` is printed on stdout.

What is graded is what the student submitted: the snapshot `nbgrader autograde` took before any
kernel ran (autograder/nbgrader/snapshot.py), from the same result cache (a ps5 notebook is not
trained twice) unless --force. When submitted/<student>/<ID>/<nb>.ipynb no longer matches that
snapshot, this is said on stderr and in the student's results, and the snapshot is graded. Without
a snapshot (autograde never ran for that notebook) the file is graded as it is.
"""
from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

from autograder.grading.result_files import write_atomic, write_json_atomic
from autograder.grading.results import as_result
from autograder.grading.scoring import POINTS
from autograder.nbgrader.grade_cells import HOOK_CALL
from autograder.text.i18n import tr

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

    from autograder.nbgrader.grade_cells import grade_cell_outputs
    if nb_path.is_symlink() or not nb_path.is_file():
        return False
    nb = nbformat.read(str(nb_path), as_version=4)
    changed = False
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") != "code" or gid not in cell_objects:
            continue
        cell.outputs = grade_cell_outputs(result, assignment, cell_objects[gid], lang, cell.get("execution_count"))
        changed = True
    if changed:
        text = nbformat.writes(nb)
        write_atomic(nb_path, (text if text.endswith("\n") else text + "\n").encode("utf-8"), mode=0o644)
    return changed


def grade_course(root, assignment: str, *, lang: str = "es", device: str = "auto", students=None,
                 csv_path=None, update_gradebook: bool = True, update_autograded: bool = True,
                 grade=None, log=None, force: bool = False, out_dir=None) -> list[dict]:
    """Grade every submission of `assignment` in the nbgrader course at `root`.

    Returns one row per student: {"student_id", "score", "max_score", "notebooks": {name:
    SubmissionResult or None}, "notes": [str], "state": "graded" | "resumed" (every result from
    the cache)}. `grade` (default engine.grade) is grade(path, assignment, lang=, device=) ->
    results dict; it runs only for content not in the course's result cache (or always with
    force=True).
    """
    if assignment not in POINTS:
        raise SystemExit(tr(lang, "tarea desconocida {assignment} (las conocidas: {known})",
                            assignment=repr(assignment), known=", ".join(POINTS)))
    if grade is None:
        from autograder.grading.engine import grade
    from autograder.nbgrader.snapshot import Store
    log = log or (lambda msg: print(msg, file=sys.stderr))
    layout = CourseLayout(root)
    store = Store(layout.root, layout.cd.autograded_directory)
    wanted = layout.students(assignment)
    if students:
        missing = sorted(set(students) - set(wanted))
        for s in missing:
            log(tr(lang, "{student}: no hay carpeta de entrega {path}", student=s,
                   path=layout.submitted(s, assignment)))
        wanted = [s for s in wanted if s in set(students)]
    if not wanted:
        log(tr(lang, "no hay entregas de {assignment} en {path}", assignment=assignment,
               path=layout.root / layout.cd.submitted_directory))

    gb = None
    if update_gradebook:
        from nbgrader.api import Gradebook, MissingEntry
        gb = Gradebook(layout.db_url, layout.course_id)
        try:
            gb_assignment = gb.find_assignment(assignment)
        except MissingEntry:
            gb.close()
            raise SystemExit(tr(lang, "{assignment} no está en el libro de notas {db}: corre antes "
                                      "`nbgrader generate_assignment {assignment}` en {root}",
                                assignment=assignment, db=layout.db_url, root=layout.root))
        notebook_names = [nb.name for nb in gb_assignment.notebooks]
        cell_objects = {nb.name: _grade_cell_objects(gb, nb, assignment) for nb in gb_assignment.notebooks}
    else:
        notebook_names = [assignment]
        cell_objects = {assignment: {}}

    rows = []
    try:
        for student in wanted:
            folder = layout.submitted(student, assignment)
            results, notes, fresh = {}, [], False
            for name in notebook_names:
                path = folder / f"{name}.ipynb"
                if not os.path.lexists(path) and not update_gradebook and folder.is_dir():
                    results[name] = as_result(grade(str(folder), assignment, lang=lang, device=device), assignment)
                    fresh = True       # a folder submission: the engine picks the file
                    continue
                result, hit, note = _grade_notebook(store, student, assignment, name, path, lang=lang,
                                                    device=device, force=force, grade=grade, log=log)
                results[name] = result
                fresh = fresh or not hit
                if note:
                    notes.append(note)
            row = _row(student, assignment, results)
            row["timestamp"] = layout.timestamp(student, assignment)
            row["notes"] = notes
            row["state"] = "graded" if fresh else "resumed"
            rows.append(row)
            if gb is not None:
                _write_grades(gb, layout, student, assignment, results, cell_objects, row["timestamp"])
                row["gradebook"] = _gradebook_scores(gb, student, assignment, cell_objects)
            if update_autograded:
                for name, result in results.items():
                    nb_path = layout.autograded(student, assignment) / f"{name}.ipynb"
                    objs = cell_objects.get(name) or {f"test_{o}": o for o in POINTS[assignment]}
                    _update_autograded(nb_path, objs, result, assignment, lang)
            if out_dir is not None:
                _write_results(Path(out_dir), student, assignment, row)
            final = row.get("gradebook") or {}
            log(f"{student}: {final.get('score', row['score']):g} / {row['max_score']:g}"
                + (" (" + tr(lang, "con nota manual") + ")" if final.get("manual") else ""))
        csv_path = Path(csv_path) if csv_path else layout.root / f"grades-{assignment}.csv"
        if students and not wanted:
            pass                    # nothing graded: the CSV stays as it is
        elif gb is not None:
            _export_csv(gb, csv_path, assignment, wanted, partial=bool(students))
            log(tr(lang, "escrito {path}", path=csv_path))
        else:
            _write_csv(csv_path, assignment, rows, partial=bool(students))
            log(tr(lang, "escrito {path}", path=csv_path))
    finally:
        if gb is not None:
            gb.close()
    return rows


def _grade_notebook(store, student, assignment, name, path: Path, *, lang, device, force, grade, log):
    """(result or None, from the cache?, note or None) for one notebook of a student: its snapshot
    when `nbgrader autograde` took one, else the submitted file as it is."""
    from autograder.nbgrader.snapshot import SnapshotError, read_regular, sha256
    from autograder.nbgrader.trusted_grading import grade_cached
    snap = store.find(assignment, student, name)
    note = None
    if snap is not None:
        try:
            current = sha256(read_regular(path))
        except SnapshotError:
            current = None
        if current != snap.sha256:
            note = tr(lang, "Aviso: el archivo entregado ({path}) cambió después de `nbgrader autograde`; se "
                            "calificó la copia tomada antes de ejecutar el cuaderno (sha256 {old}, ahora {new}).",
                      path=path, old=snap.sha256[:12], new=(current or "-")[:12])
            log(tr(lang, "{student}: {path} cambió después de nbgrader autograde (o ya no está); se "
                         "califica la copia tomada antes de ejecutar su kernel ({snapshot})",
                   student=student, path=path, snapshot=snap.path))
        target = snap.path
    elif os.path.lexists(path):
        target = path
    else:
        log(tr(lang, "{student}: no hay {name}: 0 puntos en sus celdas de calificación",
               student=student, name=path.name))
        return None, False, None
    cache_dir = store.cache_dir if store.root.is_dir() else None
    try:
        result, hit = grade_cached(target, assignment, lang=lang, device=device, cache_dir=cache_dir,
                                   force=force, grade=grade)
    except SnapshotError as exc:
        msg = tr(lang, "No se pudo leer la entrega {path}: {error}", path=path, error=exc.text(lang))
        log(f"{student}: {msg}")
        return None, False, msg
    result = as_result(result, assignment)          # a new object: the cached one stays as it is
    if note:
        result.message = note + ("\n\n" + result.message if result.message else "")
        result.extra_data.update(submission_changed=True, snapshot_sha256=snap.sha256)
    return result, hit, note


def _write_results(out_dir: Path, student: str, assignment: str, row) -> None:
    """OUT/<student>/results.json: the assignment's notebook's results (Gradescope format)."""
    from autograder.grading.result_files import safe_name
    results = [r for r in row["notebooks"].values() if r is not None]
    if not results:
        return
    main = row["notebooks"].get(assignment) or results[0]
    write_json_atomic(out_dir / safe_name(student) / "results.json", main)


def _row(student, assignment, results) -> dict:
    total = 0.0
    for result in results.values():
        if result is not None:
            scores = result.object_scores()
            total += sum(scores[obj].score for obj in POINTS[assignment])
    return {"student_id": student, "score": round(total, 6),
            "max_score": float(sum(POINTS[assignment].values())), "notebooks": results}


def _write_grades(gb, layout, student, assignment, results, cell_objects, timestamp) -> None:
    gb.update_or_create_student(student)
    kwargs = {"timestamp": timestamp} if timestamp else {}
    gb.update_or_create_submission(assignment, student, **kwargs)
    for name, result in results.items():
        scores = result.object_scores() if result is not None else None
        for cell_name, obj in cell_objects.get(name, {}).items():
            grade = gb.find_grade(cell_name, name, assignment, student)
            grade.auto_score = scores[obj].score if scores is not None else 0.0
            # as nbgrader's SaveAutoGrades: a manual score present -> needs review
            grade.needs_manual_grade = grade.manual_score is not None
    gb.db.commit()


def _gradebook_scores(gb, student, assignment, cell_objects) -> dict:
    """What nbgrader's gradebook now holds for the student (what `nbgrader export` and our CSV
    say): {"objects": {object: final score}, "manual": {object: manual score}, "score": the
    submission's score less its late penalty}. A grade's final score is its manual score when the
    instructor gave one (Formgrader), else the auto score written above."""
    objects, manual = {}, {}
    for name, cells in cell_objects.items():
        for cell_name, obj in cells.items():
            grade = gb.find_grade(cell_name, name, assignment, student)
            objects[obj] = objects.get(obj, 0.0) + float(grade.score or 0.0)
            if grade.manual_score is not None:
                manual[obj] = manual.get(obj, 0.0) + float(grade.manual_score)
    sub = gb.find_submission(assignment, student)
    score = max(0.0, float(sub.score or 0.0) - float(sub.late_submission_penalty or 0.0))
    return {"objects": objects, "manual": manual, "score": round(score, 6)}


def _export_csv(gb, path: Path, assignment: str, students, partial: bool) -> None:
    """nbgrader's own CSV exporter (same columns and values as `nbgrader export`), one assignment,
    merged into `path`."""
    from nbgrader.plugins.export import CsvExportPlugin
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=path.parent) as tmp:
        exported = Path(tmp) / "export.csv"
        plugin = CsvExportPlugin(to=str(exported), assignment=[assignment],
                                 student=list(students) if partial else [])
        plugin.export(gb)
        with open(exported, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields, rows = list(reader.fieldnames or EXPORT_COLUMNS), list(reader)
    _merge_csv(path, fields, rows, assignment, partial)


def _write_csv(path: Path, assignment: str, rows, partial: bool) -> None:
    """The columns of `nbgrader export` without a gradebook (no names, due date or penalties)."""
    out = [{"assignment": assignment, "duedate": "", "timestamp": row.get("timestamp") or "",
            "student_id": row["student_id"], "last_name": "", "first_name": "", "email": "",
            "raw_score": row["score"], "late_submission_penalty": 0.0, "score": row["score"],
            "max_score": row["max_score"]} for row in rows]
    _merge_csv(path, EXPORT_COLUMNS, out, assignment, partial)


def _merge_csv(path: Path, fields, new_rows, assignment: str, partial: bool) -> None:
    """Write `new_rows` into the CSV at `path`, keeping its other rows: those of other assignments,
    and (partial=True, a --student run) those of students not in `new_rows`. Rows keep their
    place; new ones go at the end. An existing file with other columns is replaced. Atomic."""
    new_ids = {str(r["student_id"]) for r in new_rows}
    merged, placed = [], set()
    by_id = {str(r["student_id"]): r for r in new_rows}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            old = list(reader) if list(reader.fieldnames or []) == list(fields) else []
    except (OSError, csv.Error, UnicodeDecodeError):
        old = []
    for r in old:
        sid = r.get("student_id")
        if r.get("assignment") != assignment:
            merged.append(r)
        elif sid in new_ids:
            if sid not in placed:
                merged.append(by_id[sid])
                placed.add(sid)
        elif partial:
            merged.append(r)
    merged += [r for r in new_rows if str(r["student_id"]) not in placed]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(merged)
    write_atomic(path, buf.getvalue().encode("utf-8"), mode=0o644)


def run(args) -> int:
    """Entry point from `autograder grade` when --nbgrader is given."""
    if not getattr(args, "assignment", None):
        print(tr(getattr(args, "lang", None), "autograder grade --nbgrader ROOT necesita --assignment ID"),
              file=sys.stderr)
        return 2
    from autograder.grading import score_table as report
    from autograder.grading.results import SubmissionResult
    lang = getattr(args, "lang", None) or "es"
    rows = grade_course(args.nbgrader, args.assignment, lang=lang,
                        device=getattr(args, "device", None) or "auto",
                        students=getattr(args, "student", None), csv_path=getattr(args, "csv", None),
                        update_gradebook=not getattr(args, "no_gradebook", False),
                        force=bool(getattr(args, "force", False)), out_dir=getattr(args, "out", None))
    if rows is None:
        return 1
    table, final = [], {}
    for row in rows:
        results = [r for r in row["notebooks"].values() if r is not None]
        merged = SubmissionResult(args.assignment, [t for r in results for t in r.tests], lang)
        table.append((row["student_id"], merged, row["state"]))
        if row.get("gradebook"):
            final[row["student_id"]] = row["gradebook"]
    # with a gradebook, the table shows its scores (manual grades included), as the CSV does
    print(report.table(table, args.assignment, lang, final=final or None))
    if any(f.get("manual") for f in final.values()):
        print("\n" + tr(lang, "«con nota manual»: el total incluye las calificaciones manuales del libro "
                              "de notas de nbgrader (Formgrader), como el CSV."))
    return 0
