"""Session-wide settings of our test suite: the tiers (markers that skip by themselves), the
spawn check of the fast tier, and the fixtures several files share.

Tiers (declared in pyproject.toml, enforced by --strict-markers; CONTRIBUTING.md says which to use):

    sandbox   runs student code, hence needs confinement (a Session, engine.grade, `autograder
              grade`, nbgrader's confined kernel); skipped where this account has none
              (autograder.sandbox.confinement_mode() is None). sandbox("root"): needs bwrap as
              root specifically (a uid per worker, the zygote)
    nbgrader  runs nbgrader or a Jupyter kernel; skipped without nbgrader
    browser   opens the report pages in Debian's chromium through playwright; skipped without either
    cluster   starts a Dask cluster; skipped without dask.distributed
    gpu       needs a CUDA GPU; skipped without one
    slow      starts a subprocess (a CLI, a tool) or computes for seconds; never skipped

`make test-fast` runs what carries none of them, with --no-spawn: a test there that starts a
process fails and names the marker it lacks.
"""
import importlib.util
import os
import shutil
import tempfile

import pytest

# One folder per run of the suite, shared by its xdist workers (they inherit the controller's
# environment) and removed by the process that made it, for what a run makes once:
# - ps5's training cache (autograder/training/cache.py). It lives in the user's cache folder by
#   default, so a second run on the same machine would reuse the LeNet results of the first and
#   never train. Each run gets a fresh, empty one instead: the first grading of a LeNet in the run
#   really trains it, later ones of the same architecture reuse that result, as a batch would
#   (atomic writes and a lock per model make sharing safe, as for parallel grading lanes). Tests
#   that check the cache itself point it elsewhere.
# - the released course of the nbgrader tests (tests/nbgrader_course.py), built under a lock.
RUN_DIR_VARIABLE = "AUTOGRADER_TEST_RUN_DIR"
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get(RUN_DIR_VARIABLE):
    _RUN_DIR, _MINE = os.environ[RUN_DIR_VARIABLE], False
else:
    _RUN_DIR, _MINE = tempfile.mkdtemp(prefix="autograder-test-run-"), True
    os.environ[RUN_DIR_VARIABLE] = _RUN_DIR
os.environ["AUTOGRADER_TRAINING_CACHE"] = os.path.join(_RUN_DIR, "training-cache")
# make test runs more xdist workers than there are cores, each grading or training with torch;
# torch's own threads (one per core in every process) would then only fight over the same cores,
# OpenMP's waiting threads spinning for CPU another worker needs. One thread per process, inherited by
# every process a test starts (a CLI, a kernel, nbgrader), unless the caller chose otherwise. The
# sandbox sets its own (autograder/sandbox/policy.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# No nbgrader command of the suite leaves a warm grading service behind (autograder/
# nbgrader_warm.py, kept for minutes after a command); tests/nbgrader/test_nbgrader_warm.py turns it on.
os.environ["AUTOGRADER_WARM_SECONDS"] = "0"

CHROMIUM = "/usr/bin/chromium"

# The markers that need something of the machine, in the order a skip reason is looked for.
NEEDS = ("sandbox", "nbgrader", "browser", "cluster", "gpu")
FAST_EXCLUDES = NEEDS + ("slow",)


def _missing_sandbox(*modes):
    """sandbox: any confinement; sandbox("root"): bwrap as root (a uid per worker, the zygote), the
    mode the isolation tests and the confined nbgrader kernel's uid tests are about."""
    from autograder.sandbox import MISSING_CONFINEMENT, confinement_mode
    found = confinement_mode()
    if found is None:
        return MISSING_CONFINEMENT
    if modes and found not in modes:
        return f"needs confinement mode {' or '.join(modes)}; this account has {found}"
    return None


def _missing_module(module, extra):
    def missing(*_):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[{extra}]'; make setup does)"
        return None
    return missing


def _missing_browser(*_):
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium; make setup does)"
    return _missing_module("playwright", "browser-tests")()


def _missing_gpu(*_):
    import torch
    return None if torch.cuda.is_available() else "needs a CUDA GPU"


_PROBES = {
    "sandbox": _missing_sandbox,
    "nbgrader": _missing_module("nbgrader", "nbgrader"),
    "browser": _missing_browser,
    "cluster": lambda *_: (None if importlib.util.find_spec("dask") and importlib.util.find_spec("distributed")
                        else "dask.distributed is not installed (pip install -e '.[cluster]'; make setup does)"),
    "gpu": _missing_gpu,
}


def pytest_addoption(parser):
    parser.addoption("--no-spawn", action="store_true",
                     help="fail a test that starts a process unless it carries a tier marker "
                          f"({', '.join(FAST_EXCLUDES)}); make test-fast sets it")


@pytest.hookimpl(trylast=True)   # after -m has deselected: a probe runs only for a marker still selected
def pytest_collection_modifyitems(config, items):
    if config.getoption("--no-spawn"):
        # What this account's confinement is gets probed once per process (a `bwrap ... true`,
        # autograder/sandbox/policy.py) by whatever asks first, e.g. a result's confinement label:
        # asked here, before any test, the answer is cached and no test pays for it.
        from autograder.sandbox import confinement_mode
        confinement_mode()
    reasons = {}
    for item in items:
        for name in NEEDS:
            marks = list(item.iter_markers(name))
            if not marks:
                continue
            key = (name,) + tuple(sorted({arg for m in marks for arg in m.args}))
            if key not in reasons:
                reasons[key] = _PROBES[name](*key[1:])
            if reasons[key]:
                item.add_marker(pytest.mark.skip(reason=f"[{name}] {reasons[key]}"))
                break


def pytest_unconfigure(config):
    if _MINE:
        shutil.rmtree(_RUN_DIR, ignore_errors=True)


# ---------------------------------------------------------------- xdist: files that share a worker

# make test hands each file to one worker (--dist loadfile). Files that read the same session
# fixture, made once per run under a lock (the graded corpus, below), go to the same worker: on two
# workers the second file would wait idle for the whole grading instead of running other files.
SAME_WORKER = {path: "tests/suites/test_allowlist_corpus.py"
               for path in ("tests/suites/test_corpus_scores.py", "tests/kit/test_kit_hints.py")}


@pytest.hookimpl(optionalhook=True)     # a hook of pytest-xdist, which the core tests do without
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):     # what LoadFileScheduling itself overrides: nodeid -> unit
            scope = super()._split_scope(nodeid)
            return SAME_WORKER.get(scope, scope)
    return SharedFixtureScheduling(config, log)


# ---------------------------------------------------------------- --no-spawn

def _spawn_points():
    """Every way the standard library starts a process: subprocess (its own reference to fork_exec),
    multiprocessing's spawn and forkserver (_posixsubprocess.fork_exec), fork, posix_spawn, system;
    and a worker the sandbox's zygote forks (the zygote, started by an earlier test, outlives it)."""
    import _posixsubprocess
    import subprocess

    from autograder.sandbox.zygote_client import ZygoteChild
    return [(subprocess, "_fork_exec"), (_posixsubprocess, "fork_exec"), (os, "fork"), (os, "posix_spawn"),
            (os, "posix_spawnp"), (os, "system"), (ZygoteChild, "__init__")]


def _watching_spawns(item):
    """A generator for the wrappers below: notes every process the test (or a fixture it sets up)
    starts and fails the test afterwards unless it carries a tier marker. The process still
    starts: refusing it would leave the code under test in states it never meets (a thread waiting
    for a child), and the failure has to name the test, not a hang."""
    if not item.config.getoption("--no-spawn") or any(item.get_closest_marker(m) for m in FAST_EXCLUDES):
        return (yield)
    spawned, saved = [], []
    for owner, name in _spawn_points():
        real = getattr(owner, name, None)
        if real is None:
            continue

        def watch(*args, _name=name, _real=real, **kwargs):
            spawned.append(_name)
            return _real(*args, **kwargs)
        saved.append((owner, name, real))
        setattr(owner, name, watch)
    try:
        result = yield
    finally:
        for owner, name, real in saved:
            setattr(owner, name, real)
    if spawned:
        pytest.fail(f"started a process ({spawned[0]}) but carries none of the markers {', '.join(FAST_EXCLUDES)}: "
                    "mark it (tests/conftest.py says which)", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _watching_spawns(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _watching_spawns(item))


# ---------------------------------------------------------------- shared fixtures

@pytest.fixture(scope="session")
def corpus_results(tmp_path_factory):
    """Every file of tests/corpus graded once by the real CLI (tests/corpus_scores.py):
    {"<assignment>:<path under tests/corpus>": results.json}. A few minutes on 2 cores.

    Once per run, not per xdist worker: the first worker that needs it grades under a lock and
    stores it in the run's temporary folder (the workers' basetemps are its subfolders); another
    worker waits for that and reads it back. Under make test the files that use it run on one
    worker (SAME_WORKER above), so no worker waits."""
    import fcntl
    import json

    import corpus_scores
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    stored = root / "corpus-results.json"
    with open(root / "corpus-results.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.is_file():
            data = json.loads(stored.read_text(encoding="utf-8"))
            graded = corpus_scores.GradedCorpus()
            graded.update(data["results"])
            graded.calls = data["calls"]
            return graded
        graded = corpus_scores.grade_all(env=dict(os.environ))
        stored.write_text(json.dumps({"results": graded, "calls": graded.calls}), encoding="utf-8")
        return graded
