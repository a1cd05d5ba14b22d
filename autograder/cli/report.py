"""The command-line side of the report pages: `autograder report OUT`, `autograder mutants
--assignment ID`, and the `--no-report` option and end-of-batch hook of `autograder grade`.
Kept here so autograder/cli/main.py only registers these (imports stay light until a command runs)."""
from __future__ import annotations

import argparse
import os
import sys

from autograder.grading.scoring import ASSIGNMENTS
from autograder.text.i18n import tr


def add_parsers(sub, grade_parser) -> None:
    grade_parser.add_argument("--no-report", action="store_true",
                              help="no escribir las páginas del informe / do not write the "
                                   "report pages (OUT/index.html, feedback.html, grades.csv)")
    r = sub.add_parser("report", help="páginas del informe / report pages",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Escribe las páginas del informe de una carpeta de resultados: OUT/index.html (la clase),
OUT/<nombre>/feedback.html (una por entrega) y OUT/grades.csv.

Writes the report pages of a results folder: OUT/index.html (the class),
OUT/<name>/feedback.html (one per submission) and OUT/grades.csv.""")
    r.add_argument("out", metavar="OUT", help="carpeta de resultados / results folder")
    r.add_argument("--lang", choices=("es", "en"), default="es",
                   help="idioma de las páginas / language of the pages (default: %(default)s)")
    r.add_argument("--no-similarity", action="store_true",
                   help="sin pistas de similitud / no similarity hints")
    r.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="procesos para las páginas de los estudiantes (0: uno por CPU) / processes "
                        "for the student pages (0: one per CPU) (default: %(default)s)")
    r.add_argument("--common-share", type=_share, default=None, metavar="FRACTION",
                   help="una huella compartida por más de esta fracción de la clase (y por más de "
                        "10 entregas) es código común, como en -m de MOSS / a fingerprint shared by "
                        "more than this fraction of the class (and more than 10 submissions) is "
                        "common code, like MOSS's -m (default: 0.02)")
    r.add_argument("--mutants", action="store_true",
                   help="calificar también el corpus de mutantes para la tabla / also grade the "
                        "mutant corpus for the kill table")
    r.set_defaults(func=cmd_report)
    m = sub.add_parser("mutants", help="tabla de mutantes / kill table of the hidden suites",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Califica el corpus de mutantes (tests/corpus/mutants/<tarea>/) con las pruebas ocultas y
muestra cuántos detecta cada función (sin el entrenamiento de LeNet).

Grades the shipped mutant corpus with the hidden suites and prints, per function, how many
mutants the suites catch (the LeNet training check is left out).""")
    m.add_argument("--assignment", "-a", required=True, choices=ASSIGNMENTS, metavar="ID",
                   help="tarea / assignment: " + ", ".join(ASSIGNMENTS))
    m.add_argument("--lang", choices=("es", "en"), default="es")
    m.add_argument("--corpus", metavar="DIR", default=None,
                   help="carpeta del corpus / corpus folder (default: tests/corpus/mutants)")
    m.add_argument("--out", "-o", metavar="DIR", default=None,
                   help="guardar DIR/killtable.json (lo muestra el informe) / save "
                        "DIR/killtable.json (shown by the report)")
    m.set_defaults(func=cmd_mutants)


def _share(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: entre 0 y 1 / between 0 and 1")
    return value


def _jobs(n) -> int:
    return (n or os.cpu_count() or 1) if n >= 0 else 1


def cmd_report(args, parser) -> int:
    out = os.path.abspath(args.out)
    if args.jobs < 0:
        parser.error("--jobs debe ser >= 0 / must be >= 0")
    if not os.path.isdir(out):
        parser.error(f"no existe la carpeta / no such folder: {args.out}")
    killtables = None
    if args.mutants:
        from autograder.mutation import killtable
        from autograder.pages import build as pages_build
        killtables = {}
        for e in pages_build.load(out):
            if e.assignment not in killtables:
                killtables[e.assignment] = killtable.build(e.assignment, lang=args.lang)
                _save_killtable(out, killtables[e.assignment])
    from autograder.pages.build import build
    written = build(out, lang=args.lang, similarity=not args.no_similarity, killtables=killtables,
                    jobs=_jobs(args.jobs), common_share=args.common_share)
    print(written["index"])
    print(f"{len(written['students'])} feedback.html ({len(written['rebuilt'])} rebuilt), "
          f"{written['grades']}")
    return 0


def cmd_mutants(args, parser) -> int:
    from autograder.mutation import killtable
    corpus = args.corpus or killtable.CORPUS
    if not killtable.mutants(args.assignment, corpus):
        parser.error(f"no hay mutantes en / no mutants in {os.path.join(corpus, args.assignment)}")
    table = killtable.build(args.assignment, corpus, args.lang,
                            progress=lambda row: print(".", end="", file=sys.stderr, flush=True))
    print(file=sys.stderr)
    print(killtable.format_table(table, args.lang))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        _save_killtable(args.out, table)
    return 0


def _save_killtable(out, table):
    from autograder.grading.result_files import write_json_atomic
    from autograder.mutation.killtable import FILE
    write_json_atomic(os.path.join(out, FILE), table)


def after_grade(args, out_dir) -> None:
    """End of `autograder grade`: write the report pages unless --no-report. A failure here
    is reported on stderr and never changes the grades or the exit status."""
    if getattr(args, "no_report", False):
        return
    try:
        from autograder.pages.build import build
        written = build(out_dir, lang=args.lang, jobs=_jobs(getattr(args, "jobs", 1) or 0))
        print(tr(args.lang, "Informe: {path}", path=written["index"]))
    except ImportError as exc:
        print(f"[autograder] no report pages ({exc}): install cnn-autograder[report] "
              "(jinja2, matplotlib)", file=sys.stderr)
    except Exception:  # noqa: BLE001 - the pages are a convenience, the grades are written
        import traceback
        print("[autograder] report pages failed:\n" + traceback.format_exc(), file=sys.stderr)
