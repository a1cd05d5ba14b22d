"""Command line: `autograder grade --assignment ID [options] SUBMISSION [SUBMISSION ...]`.

Exit status: 0 every submission got a result (whatever its score); 1 the grader itself failed
on at least one submission (its result is flagged and the next run regrades it); 2 usage error
(bad option, unknown assignment, a SUBMISSION path that does not exist, unusable --out).
See docs/cli.md. Keep imports here light: torch and pytest load only when grading starts.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from autograder.grading.scoring import ASSIGNMENTS
from autograder.text.i18n import tr

EXIT_OK, EXIT_GRADER_ERROR, EXIT_USAGE = 0, 1, 2

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Autocorrector de las tareas de redes convolucionales (curso CV/2, Instituto "
                    "Humai).\nAuto-grader for the convolutional-network assignments.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    g = sub.add_parser("grade", help="calificar entregas / grade submissions",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Califica entregas con las pruebas ocultas de una tarea y escribe un results.json
(formato de Gradescope) por entrega en OUT/<nombre>/.

Grades submissions against an assignment's hidden tests; writes one Gradescope
results.json per submission under OUT/<name>/.

SUBMISSION: un cuaderno (.ipynb), un archivo .py, o una carpeta. Una carpeta con
<tarea>.ipynb/.py o con un solo archivo .ipynb/.py es una entrega; cualquier otra
carpeta es un lote (cada archivo y cada subcarpeta, una entrega).""", epilog="""\
exit status: 0 todas las entregas tienen resultado (cualquiera sea la nota),
             1 falló el corrector en alguna entrega, 2 error de uso.
Volver a ejecutar con el mismo --out retoma el lote: se saltan las entregas ya
calificadas (mismo archivo, contenido, tarea e idioma); --force recalifica todo.

examples:
  autograder grade --assignment ps1_corr2d examples/ps1_corr2d
  autograder grade --assignment ps5_lenet --jobs 2 --out notas/ps5 entregas/*.ipynb
""")
    g.add_argument("--assignment", "-a", required=True, choices=ASSIGNMENTS, metavar="ID",
                   help="tarea / assignment: " + ", ".join(ASSIGNMENTS))
    g.add_argument("--out", "-o", default=None, metavar="DIR",
                   help="carpeta de resultados / results folder (default: grading-out; with "
                        "--nbgrader: none unless given)")
    g.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="entregas en paralelo; 0 = una por CPU / submissions in parallel; "
                        "0 = one per CPU (default: %(default)s)")
    g.add_argument("--lang", choices=("es", "en"), default="es",
                   help="idioma de los mensajes / feedback language (default: %(default)s)")
    g.add_argument("--force", action="store_true",
                   help="recalificar aunque ya haya resultados y reentrenar los modelos de ps5 / "
                        "regrade even if results exist and retrain ps5's models")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="dispositivo para las pruebas de entrenamiento / device for training "
                        "checks (default: %(default)s)")
    g.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="tiempo máximo del código de cada entrega (cargas, recargas y llamadas; "
                        "por defecto, según la tarea) / wall-clock seconds of student code per "
                        "submission (default: per assignment)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="calificar en un clúster Dask (tcp://host:8786) / grade on a Dask "
                        "cluster; see docs/cluster.md")
    g.add_argument("--training-cache", metavar="DIR", default=None,
                   help="caché de resultados de entrenamiento de ps5 ('off' la desactiva) / ps5 "
                        "training-result cache ('off' disables it) (default: $AUTOGRADER_TRAINING_CACHE "
                        "or ~/.cache/cnn-autograder/training)")
    g.add_argument("--unconfined", action="store_true",
                   help="calificar aunque nada pueda aislar el código de los estudiantes; cada "
                        "resultado queda marcado 'unconfined' / grade even when nothing can confine "
                        "student code; every result is marked 'unconfined' (docs/security.md)")
    g.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                   help=".ipynb, .py o carpeta / .ipynb, .py or folder")
    g.set_defaults(func=cmd_grade)
    from autograder.gradescope import build as gradescope
    from autograder.nbgrader import gradebook as nbgrader_gradebook
    nbgrader_gradebook.add_arguments(g)
    gradescope.add_parser(sub)
    from autograder.cli import report as pages_commands
    pages_commands.add_parsers(sub, g)
    from . import assignment_list
    assignment_list.add_parser(sub)
    for sub_parser in sub.choices.values():  # each command reports usage errors as itself
        sub_parser.set_defaults(command_parser=sub_parser)
    return parser


def _progress_bar(total, lang):
    """A tqdm bar on stderr for batches; silent when stderr is not a terminal."""
    try:
        import tqdm
    except ImportError:
        return None
    tqdm.tqdm.monitor_interval = 0  # no monitor thread: the batch forks children
    return tqdm.tqdm(total=total, desc=tr(lang, "calificando"),
                     unit=tr(lang, "entrega"),
                     file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)


def training_cache_env(args) -> dict[str, str]:
    """The environment that passes --training-cache and --force to the training check (the
    grading lanes, forked, and the nbgrader route inherit it). --force does not disable the
    cache: results stored before this run are ignored, those of this run are shared."""
    from autograder.training.cache import ENV_CACHE, ENV_CACHE_SINCE

    env = {}
    if getattr(args, "training_cache", None):
        env[ENV_CACHE] = args.training_cache
    if getattr(args, "force", False):
        env[ENV_CACHE_SINCE] = repr(time.time())
    return env


def cmd_grade(args, parser) -> int:
    from unittest import mock

    with mock.patch.dict(os.environ, training_cache_env(args)):  # restored when the run ends
        return _grade(args, parser)


def _grade(args, parser) -> int:
    if args.nbgrader:
        from autograder.nbgrader import gradebook as nbgrader_gradebook
        return nbgrader_gradebook.run(args)
    if not args.submissions:
        parser.error("falta SUBMISSION / missing SUBMISSION")
    args.out = args.out or "grading-out"
    missing = [p for p in args.submissions if not os.path.exists(p)]
    if missing:
        parser.error("no existe / not found: " + ", ".join(missing))
    if args.jobs < 0:
        parser.error("--jobs debe ser >= 0 / must be >= 0")
    if args.budget is not None and not args.budget > 0:
        parser.error("--budget debe ser > 0 / must be > 0")
    jobs_n = args.jobs or os.cpu_count() or 1
    out_dir = os.path.abspath(args.out)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        parser.error(f"--out {args.out} existe y no es una carpeta / exists and is not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        parser.error(f"no se puede crear --out {args.out}: {exc.strerror or exc}")

    from autograder.grading import batch  # torch with them: after the usage checks
    from autograder.grading import score_table as report

    if getattr(args, "unconfined", False):
        os.environ["AUTOGRADER_SANDBOX"] = "none"   # the grading children inherit it
    from autograder.sandbox import MISSING_CONFINEMENT, confinement_label
    if not args.scheduler and confinement_label() == "unavailable":
        print(MISSING_CONFINEMENT, file=sys.stderr)  # never a silent fallback
        return EXIT_USAGE

    items = batch.discover_all(args.submissions, args.assignment)
    plan = batch.plan(items, out_dir, args.assignment, args.lang, force=args.force)
    todo = plan.todo
    bar = _progress_bar(len(todo), args.lang) if len(todo) > 1 else None

    def progress(job):
        if bar is not None:
            bar.set_postfix_str(job.name[:30], refresh=False)
            bar.update(1)

    try:
        if args.scheduler:
            from autograder.cluster import dask_batch as cluster
            try:
                cluster.run(todo, args.assignment, args.lang, args.device, args.scheduler, progress,
                            budget=args.budget)
            except cluster.SchedulerUnreachable as exc:
                print(tr(args.lang, "no se pudo conectar con el clúster: {error}", error=exc),
                      file=sys.stderr)
                return EXIT_GRADER_ERROR
        else:
            batch.run(todo, args.assignment, args.lang, args.device, jobs_n, progress,
                      budget=args.budget)
    finally:
        if bar is not None:
            bar.close()
    rows = [(j.name, j.results, j.state) for j in plan.jobs]
    print(report.table(rows, args.assignment, args.lang))
    print(report.confinement_line(plan.jobs, args.lang))
    print()
    print(report.summary(plan.jobs, out_dir, args.lang))
    from autograder.cli.report import after_grade
    after_grade(args, out_dir)
    return EXIT_GRADER_ERROR if any(j.state == "grader_error" for j in plan.jobs) else EXIT_OK


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, args.command_parser)
    except KeyboardInterrupt:
        print("interrumpido / interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception:  # noqa: BLE001 - the grader itself failed
        import traceback
        traceback.print_exc()
        return EXIT_GRADER_ERROR


def entry() -> None:
    """The `autograder` command (and `python -m autograder`): main(), then a quick exit.

    Every result is already on disk (written atomically) when main() returns, so after the exit
    handlers (the sandbox's zygote shutdown, logging) and a flush the process ends with
    os._exit: the interpreter's own teardown of torch's and pytest's modules would add about
    0.4-2 s (busy machine) and does nothing for the results. Usage errors (SystemExit) exit the
    ordinary way."""
    import atexit

    code = main()
    try:
        atexit._run_exitfuncs()  # private, but what a normal exit would run, minus the teardown
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed pipe: nothing more can be said
                pass
        os._exit(0 if code is None else code if isinstance(code, int) else 1)


if __name__ == "__main__":
    entry()
