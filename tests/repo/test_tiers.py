"""The tiers of tests/conftest.py, run on throwaway test files (pytester): a marker whose need is
missing skips with its reason, and --no-spawn fails an unmarked test that starts a process. And
make test's grouping: the files that read the graded corpus share a worker."""
import importlib.util
import os
from pathlib import Path

import pytest

CONFTEST = Path(__file__).parents[1].joinpath("conftest.py").read_text(encoding="utf-8")
MARKERS = """
[pytest]
addopts = --strict-markers
markers =
    sandbox: x
    nbgrader: x
    browser: x
    cluster: x
    gpu: x
    slow: x
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    # the throwaway run imports the conftest again, which points the training cache at a folder of
    # its own and removes it at the end: this run's settings come back after the test
    for name in ("AUTOGRADER_TRAINING_CACHE", "AUTOGRADER_TEST_RUN_DIR"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
    pytester.makeconftest(CONFTEST)
    pytester.makeini(MARKERS)
    return pytester


def test_a_missing_need_skips_with_its_reason(suite, monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    real_find_spec = importlib.util.find_spec
    absent = ("nbgrader", "dask", "distributed")   # as if not installed
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in absent else real_find_spec(name, *a))
    suite.makepyfile("""
        import pytest

        @pytest.mark.gpu
        def test_gpu():
            pass

        @pytest.mark.nbgrader
        def test_nbgrader():
            pass

        @pytest.mark.cluster
        def test_cluster():
            pass

        def test_plain():
            pass
    """)
    result = suite.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*[[]gpu[]] needs a CUDA GPU*", "*[[]nbgrader[]] nbgrader is not installed*",
                                 "*[[]cluster[]] dask.distributed is not installed*"])


def test_sandbox_root_skips_on_another_mode(suite, monkeypatch):
    from autograder import sandbox
    monkeypatch.setattr(sandbox, "confinement_mode", lambda: "landlock")
    suite.makepyfile("""
        import pytest

        @pytest.mark.sandbox("root")
        def test_root_only():
            pass

        @pytest.mark.sandbox
        def test_any_confinement():
            pass
    """)
    result = suite.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs confinement mode root; this account has landlock*"])


@pytest.mark.slow   # the throwaway tests start `true`, which this test's own run sees too
def test_no_spawn_fails_an_unmarked_test_that_starts_a_process(suite):
    suite.makepyfile("""
        import subprocess
        import pytest

        def test_unmarked():
            subprocess.run(["true"], check=True)

        @pytest.mark.slow
        def test_marked():
            subprocess.run(["true"], check=True)

        def test_in_process():
            assert sum(range(4)) == 6
    """)
    result = suite.runpytest_inprocess("--no-spawn")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_unmarked*", "*started a process (_fork_exec) but carries none of the markers*"])
    assert suite.runpytest_inprocess().ret == 0   # without --no-spawn nothing is watched


def test_files_that_read_the_graded_corpus_share_a_worker():
    """make test's scheduler (tests/conftest.py, SAME_WORKER) runs every file that reads the
    graded corpus on one worker: a reader left out would wait idle on another worker for the
    whole grading (two minutes), and a stale name would group nothing."""
    import ast

    import conftest

    def reads_corpus(path):
        return any(isinstance(node, ast.FunctionDef) and "corpus_results" in [a.arg for a in node.args.args]
                   for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))

    tests = Path(__file__).parents[1]
    readers = {p.relative_to(tests.parent).as_posix() for p in tests.rglob("test_*.py") if reads_corpus(p)}
    assert readers == set(conftest.SAME_WORKER) | set(conftest.SAME_WORKER.values())
