"""Grades every file under tests/corpus and reduces each result to what a refactor must not change:
per test, its graded object, score, max score and recognised misconception, plus the total.

    python tests/corpus_scores.py --record    # writes tests/corpus_scores.json (the baseline)

tests/suites/test_corpus_scores.py grades the corpus again the same way (once per test session, the
`corpus_results` fixture of tests/conftest.py), compares with the baseline and checks what each
kind of file is for: mutants lose points on their object only, correct code gets full marks.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.grading import registry

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
BASELINE = ROOT / "tests" / "corpus_scores.json"
ASSIGNMENTS = registry.ids()
# The cheats that stall would hold their lane for the assignment's whole budget; a shorter one
# bounds the run. The baseline was recorded with the same option, so scores stay comparable.
BUDGET = "30"


def batches():
    """[(assignment, [paths])] by kind of corpus; every path is one submission."""
    out = []
    for kind in ("mutants", "alternatives", "thirdparty", "honest"):
        for a in ASSIGNMENTS:
            files = sorted((CORPUS / kind / a).glob("*.py"))
            if files:
                out.append((a, files))
    out.append(("ps5_lenet", sorted((CORPUS / "lenet_mutants").glob("*.py"))))
    out.append(("ps1_corr2d", sorted(p for p in (CORPUS / "cheats").iterdir() if p.is_file())))
    for a in ASSIGNMENTS:
        for kind in ("static", "allowlist"):
            cheats = sorted((CORPUS / "cheats" / kind).glob(a.split("_")[0] + "_*"))
            if cheats:
                out.append((a, cheats))
    out.append(("ps1_corr2d", sorted((CORPUS / "bad_inputs").iterdir())))
    return out


def calls():
    """batches() merged per assignment: one `autograder grade` (one zygote, one pytest start-up per
    lane) for all of an assignment's submissions."""
    merged: dict[str, list] = {}
    for assignment, paths in batches():
        merged.setdefault(assignment, []).extend(paths)
    return list(merged.items())


def key(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def reduce(result: dict) -> dict:
    tests = [[t["name"].split(":", 1)[0], t.get("score"), t.get("max_score"),
              (t.get("extra_data") or {}).get("misconception")] for t in result.get("tests", [])]
    return {"score": result.get("score"), "max_score": result.get("max_score"), "tests": tests}


class GradedCorpus(dict):
    """{"<assignment>:<path under tests/corpus>": results.json}, and `calls`: one
    {assignment, files, names, returncode, seconds} per `autograder grade` call."""

    def __init__(self):
        super().__init__()
        self.calls = []


def grade_all(env: dict | None = None, parallel: int = 2) -> GradedCorpus:
    """Every corpus file graded by the real CLI; each result folder's meta.json names the source
    it graded. `parallel` calls at a time, ps5 (it trains) and then the largest first: one call
    alone leaves a core idle while its lanes wait on stalling cheats and its start-up runs."""
    graded = GradedCorpus()
    order = sorted(enumerate(calls()), key=lambda c: (c[1][0] != "ps5_lenet", -len(c[1][1])))
    with tempfile.TemporaryDirectory(prefix="corpus-scores-") as tmp:
        def grade(numbered):
            i, (assignment, paths) = numbered
            out = Path(tmp) / str(i)
            cmd = [sys.executable, "-m", "autograder", "grade", "-a", assignment, "--out", str(out),
                   "--budget", BUDGET, "--no-report", "--jobs", "2", *map(str, paths)]
            started = time.monotonic()
            done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=3600)
            return i, out, {"assignment": assignment, "files": len(paths),
                            "names": [p.name for p in paths], "returncode": done.returncode,
                            "seconds": time.monotonic() - started}

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            finished = sorted(pool.map(grade, order), key=lambda f: f[0])
        for _, out, call in finished:
            graded.calls.append(call)
            assignment = call["assignment"]
            for folder in sorted(out.iterdir()) if out.is_dir() else []:
                meta, res = folder / "meta.json", folder / "results.json"
                if meta.is_file() and res.is_file():
                    source = Path(json.loads(meta.read_text())["source"]).resolve()
                    graded[f"{assignment}:{key(source)}"] = json.loads(res.read_text())
    return graded


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    reduced = {k: reduce(r) for k, r in grade_all().items()}
    BASELINE.write_text(json.dumps(reduced, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
