"""Gradescope: build the autograder zip, and the logic its run_autograder calls.

    autograder gradescope --assignment ps1_corr2d -o autograder.zip

The zip has `setup.sh` and `run_autograder` at its root (what Gradescope requires), plus the
grader itself, so the image runs exactly the grader that built the zip:

    setup.sh              installs Python deps (CPU torch), bubblewrap, Fashion-MNIST (ps5 only)
    run_autograder        grades $ROOT/submission into $ROOT/results/results.json
    gradescope.json       {"assignment", "lang", "device", "visibility"}
    requirements.txt      the project's dependencies but torch/torchvision (from pyproject.toml)
    pyproject.toml, README.md, autograder/, reference/, assignments/cursocnn/

Gradescope unpacks the zip into /autograder/source, runs setup.sh once when building the image,
and for each submission runs /autograder/run_autograder with the student's files in
/autograder/submission. `run_autograder` takes its root from $AUTOGRADER_ROOT (default
/autograder) and its Python from $AUTOGRADER_PYTHON (default: the venv setup.sh made, else
python3); the package inside the zip is put first on PYTHONPATH. Tests unpack the zip into a
temporary root and run it there.

Visibility (Gradescope's results.json: a per-test ``visibility`` and a top-level one, the
default for every test, each "visible", "after_due_date", "after_published" or "hidden"):
``--visibility`` sets both; the default, "after_published", keeps the hidden tests' results
and messages from students until the instructor publishes the grades. ``stdout_visibility`` is
always "hidden": run_autograder's stdout is the instructor's log.
"""
from __future__ import annotations

import io
import json
import os
import stat
import sys
import time
import zipfile
from pathlib import Path

from autograder import locations
from autograder.grading import registry
from autograder.grading.result_files import write_atomic, write_json_atomic
from autograder.grading.results import GRADER_FAILED, SubmissionResult, as_result
from autograder.grading.scoring import ASSIGNMENTS, max_score
from autograder.text.i18n import tr

REPO = Path(locations.PACKAGE_PARENT).resolve()
CONFIG = "gradescope.json"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
DEFAULT_VISIBILITY = "after_published"

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope entry point: grade $ROOT/submission into $ROOT/results/results.json.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
if [ -n "${AUTOGRADER_PYTHON:-}" ]; then PY="$AUTOGRADER_PYTHON"
elif [ -x "$SRC/.venv/bin/python" ]; then PY="$SRC/.venv/bin/python"
else PY=python3; fi
export PYTHONPATH="$SRC:$SRC/assignments${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
if [ -z "${FASHION_MNIST_DIR:-}" ] && [ -d "$SRC/data/fashion-mnist" ]; then
  export FASHION_MNIST_DIR="$SRC/data/fashion-mnist"
fi
export AUTOGRADER_TRAINING_CACHE="${AUTOGRADER_TRAINING_CACHE:-$SRC/.training-cache}"
cd "$SRC"
exec "$PY" -m autograder.gradescope run --root "$ROOT"
"""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope image setup (runs once, as root, with network access).
set -euxo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y python3 python3-pip python3-venv bubblewrap
python3 -m venv .venv
.venv/bin/pip install --upgrade pip
.venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu "torch>=2.4,<3" "torchvision>=0.19,<1"
.venv/bin/pip install -r requirements.txt
.venv/bin/python -c "import torch, pytest; print('torch', torch.__version__)"
__DATA__
"""

DATA_SH = """\
# ps5_lenet trains LeNet on Fashion-MNIST: the Debian package, else torchvision's download.
if ! apt-get install -y dataset-fashion-mnist; then
  mkdir -p data/fashion-mnist
  PYTHONPATH="$PWD:$PWD/assignments" .venv/bin/python -c \\
    "from torchvision.datasets import FashionMNIST as F; [F('data/fashion-mnist', train=t, download=True) for t in (True, False)]"
fi
# Train the reference LeNets once, into the image (.training-cache, what run_autograder uses):
# a submission whose models equal the contract's is then graded without training.
if [ -d data/fashion-mnist ]; then export FASHION_MNIST_DIR="$PWD/data/fashion-mnist"; fi
AUTOGRADER_TRAINING_CACHE="$PWD/.training-cache" PYTHONPATH="$PWD:$PWD/assignments" \
  .venv/bin/python -m autograder.cli.training_cache warm --device __DEVICE__ \
  || echo "warming the training cache failed: submissions will train" >&2
"""  # noqa: E501 (the python -c line stays one shell line)

# ------------------------------------------------------------------ building the zip

def _package_files() -> list[tuple[Path, str]]:
    """(file on disk, name in the zip) of the grader package and what it needs."""
    out = []
    for top in ("autograder", "reference", "assignments/cursocnn"):
        base = REPO / top
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(REPO)
            if path.is_dir() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
                continue
            out.append((path, rel.as_posix()))
    return out


def _requirements() -> str:
    import tomllib
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    deps = [d for d in data["project"]["dependencies"]
            if not d.replace(" ", "").lower().startswith(("torch>", "torch=", "torch<", "torchvision"))
            and d.strip().lower() not in ("torch", "torchvision")]
    return "\n".join(deps) + "\n"


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)


def build_zip(assignment: str, out, *, lang: str = "es", device: str = "auto",
              visibility: str = DEFAULT_VISIBILITY) -> Path:
    """Write the Gradescope autograder zip for `assignment` to `out` (deterministic bytes)."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r} (one of {', '.join(VISIBILITIES)})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    config = {"assignment": assignment, "lang": lang, "device": device, "visibility": visibility}
    data = DATA_SH.replace("__DEVICE__", device)
    setup = SETUP_SH.replace("__DATA__", data if registry.get(assignment).needs_data else "")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _add(zf, "setup.sh", setup.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        _add(zf, CONFIG, (json.dumps(config, indent=2) + "\n").encode())
        _add(zf, "requirements.txt", _requirements().encode())
        _add(zf, "pyproject.toml", (REPO / "pyproject.toml").read_bytes())
        readme = REPO / "README.md"
        _add(zf, "README.md", readme.read_bytes() if readme.is_file()
             else b"# cnn-autograder (Gradescope bundle)\n")
        for path, name in _package_files():
            _add(zf, name, path.read_bytes())
    write_atomic(out, buf.getvalue(), mode=0o644)
    return out


# ------------------------------------------------------------------ inside Gradescope

def run_autograder(root="/autograder", *, assignment=None, lang=None, device=None, grade=None,
                   visibility=None) -> dict:
    """Grade ROOT/submission into ROOT/results/results.json; returns its content. Settings
    default to ROOT/source/gradescope.json. Always writes a results.json. `grade(path,
    assignment, lang=, device=)` (default engine.grade_result) returns a SubmissionResult or its
    results.json. Every test gets `visibility`; run_autograder's stdout stays hidden."""
    root = Path(root)
    cfg_path = root / "source" / CONFIG
    cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    assignment = assignment or cfg.get("assignment")
    lang = lang or cfg.get("lang") or "es"
    device = device or cfg.get("device") or "auto"
    visibility = visibility or cfg.get("visibility") or DEFAULT_VISIBILITY
    submission = root / "submission"
    started = time.perf_counter()
    if assignment not in ASSIGNMENTS:
        raise SystemExit(f"run_autograder: unknown assignment {assignment!r} ({cfg_path})")
    visible = [p for p in submission.iterdir() if not p.name.startswith(".")] if submission.is_dir() else []
    if not visible:
        result = SubmissionResult(assignment, [], lang, max_score(assignment),
                                  tr(lang, "No se encontró ninguna entrega en {path}.", path="submission/"))
    else:
        if grade is None:
            from autograder.grading.engine import grade_result as grade
        try:
            result = as_result(grade(str(submission), assignment, lang=lang, device=device), assignment)
        except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json anyway
            print(f"run_autograder: grader failure: {exc!r}", file=sys.stderr)
            result = SubmissionResult(assignment, [], lang, max_score(assignment), tr(lang, GRADER_FAILED),
                                      grader_error=True)
    if not result.execution_time:
        result.execution_time = time.perf_counter() - started
    result.visibility = visibility if visibility in VISIBILITIES else DEFAULT_VISIBILITY
    data = result.to_gradescope()
    write_json_atomic(root / "results" / "results.json", data)
    return data


# ------------------------------------------------------------------ command line

def add_parser(subparsers) -> None:
    """`autograder gradescope ...` (registered by autograder/cli/main.py)."""
    p = subparsers.add_parser(
        "gradescope", help="zip del autograder para Gradescope / build the Gradescope autograder zip",
        description="Construye el zip que Gradescope espera (setup.sh y run_autograder en la raíz) "
                    "para una tarea. / Builds the Gradescope autograder zip for an assignment.")
    p.add_argument("--assignment", "-a", required=True, choices=ASSIGNMENTS, metavar="ID",
                   help="tarea / assignment: " + ", ".join(ASSIGNMENTS))
    p.add_argument("--output", "-o", default="autograder.zip", metavar="ZIP",
                   help="archivo a escribir / zip to write (default: %(default)s)")
    p.add_argument("--lang", choices=("es", "en"), default="es",
                   help="idioma de los mensajes / feedback language (default: %(default)s)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="dispositivo de las pruebas de entrenamiento (default: %(default)s)")
    _add_visibility(p)
    p.set_defaults(func=run)


def _add_visibility(p) -> None:
    p.add_argument("--visibility", choices=VISIBILITIES, default=DEFAULT_VISIBILITY,
                   help="cuándo ven los estudiantes las pruebas y sus mensajes / when students see "
                        "the tests and their output: visible (al entregar / on submission), "
                        "after_due_date, after_published (al publicar las notas / when grades are "
                        "published), hidden (nunca / never) (default: %(default)s)")


def run(args, parser=None) -> int:
    path = build_zip(args.assignment, args.output, lang=args.lang, device=args.device,
                     visibility=getattr(args, "visibility", DEFAULT_VISIBILITY))
    print(tr(args.lang, "{path} ({size} KiB): súbelo en Gradescope > Configure Autograder > Zip file upload",
             path=path, size=path.stat().st_size // 1024))
    return 0


def main(argv=None) -> int:
    """`python -m autograder.gradescope run --root ROOT` (what run_autograder executes)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    r.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    r.add_argument("--assignment", choices=ASSIGNMENTS)
    r.add_argument("--lang", choices=("es", "en"))
    r.add_argument("--device", choices=("auto", "cpu", "cuda"))
    b = sub.add_parser("build", help="build the zip (same as `autograder gradescope`)")
    b.add_argument("--assignment", "-a", required=True, choices=ASSIGNMENTS)
    b.add_argument("--output", "-o", default="autograder.zip")
    b.add_argument("--lang", choices=("es", "en"), default="es")
    b.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    _add_visibility(b)
    args = parser.parse_args(argv)
    if args.command == "build":
        return run(args)
    results = run_autograder(args.root, assignment=args.assignment, lang=args.lang, device=args.device)
    print(f"score {results.get('score')} / {results.get('max_score')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
