"""The stand-in suite of the CLI and cluster tests (the engine's developer hooks
AUTOGRADER_SUITES_DIR / AUTOGRADER_SUITES_PLUGIN): the submission's text drives what each test
does (pass, fail, grader bug, grader crash, slow), so batches and resume are fast and deterministic."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_PLUGIN = '''
import pytest

def pytest_addoption(parser):
    for name in ("--submission", "--assignment", "--lang", "--device"):
        parser.addoption(name, default=None)

def pytest_configure(config):
    config.addinivalue_line("markers", "graded(object, points, title): a hidden-suite test")

@pytest.fixture(scope="session")
def text(pytestconfig):
    import os
    path = pytestconfig.getoption("--submission")
    if os.path.isdir(path):
        path = os.path.join(path, sorted(f for f in os.listdir(path) if f.endswith(".py"))[0])
    with open(path, encoding="utf-8") as f:
        return f.read()
'''

FAKE_SUITE = '''
import os, signal, time

from autograder.text.i18n import N_
from autograder.suites import graded

def behave(text, what):
    if "SLEEP" in text:
        time.sleep(float(os.environ.get("FAKE_SLEEP", "1.5")))
    if "GRADER_CRASH" in text:
        os.kill(os.getpid(), signal.SIGKILL)
    if "GRADER_BUG" in text:
        {}["no such key"]
    assert f"{what}_OK" in text, "no está bien: " + what

@graded("corr2d", points=10, title=N_("prueba"))
def test_corr2d(text):
    behave(text, "corr2d")

@graded("conv2d_strict", points=4, title=N_("prueba"))
def test_strict(text):
    behave(text, "conv2d_strict")

@graded("learn_kernel", points=6, title=N_("prueba"))
def test_learn(text):
    behave(text, "learn_kernel")
'''


def fake_env(tmp_path):
    suite = tmp_path / "fake_suite"
    suite.mkdir(exist_ok=True)
    (suite / "fakeplug.py").write_text(FAKE_PLUGIN)
    (suite / "ps1_corr2d").mkdir(exist_ok=True)
    (suite / "ps1_corr2d" / "test_ps1_corr2d.py").write_text(FAKE_SUITE)
    env = dict(os.environ, AUTOGRADER_SUITES_DIR=str(suite), AUTOGRADER_SUITES_PLUGIN="fakeplug",
               PYTHONPATH=os.pathsep.join([str(suite), str(ROOT)]))
    return env


def sub(path: Path, *markers):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("def corr2d(X, K):\n    pass\n# " + " ".join(markers) + "\n")
    return path
