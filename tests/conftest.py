"""Session-wide settings of our test suite."""
import os
import shutil
import tempfile

import pytest

# ps5's training cache (autograder/training_check.py) lives in the user's cache folder by default,
# so a second run of the suite on the same machine would reuse the LeNet results of the first
# and never train. Each test session gets a fresh, empty cache instead: the first test that grades
# a LeNet really trains it, later tests of the same architecture reuse that result, as a batch
# would. Tests that check the cache itself point it elsewhere.
_CACHE = tempfile.mkdtemp(prefix="autograder-training-cache-")
os.environ["AUTOGRADER_TRAINING_CACHE"] = _CACHE
# No nbgrader command of the suite leaves a warm grading service behind (autograder/
# nbgrader_warm.py, kept for minutes after a command); tests/test_nbgrader_warm.py turns it on.
os.environ["AUTOGRADER_WARM_SECONDS"] = "0"


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def corpus_results():
    """Every file of tests/corpus graded once by the real CLI (tests/corpus_scores.py):
    {"<assignment>:<path under tests/corpus>": results.json}. A few minutes on 2 cores."""
    import corpus_scores
    return corpus_scores.grade_all(env=dict(os.environ))
