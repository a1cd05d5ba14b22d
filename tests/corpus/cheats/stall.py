"""Holds its grading lane as long as it can: every load runs statements that each take just
under the loader's per-statement limit (2 s), and every call hangs until its timeout kills the
worker, so the next call reloads the whole thing. Without a per-submission time budget this
kept a lane busy for ~18 min on ps1_corr2d."""
import time


def _almost_too_slow():
    time.sleep(1.8)
    return 0


STEP_1 = _almost_too_slow()
STEP_2 = _almost_too_slow()
STEP_3 = _almost_too_slow()
STEP_4 = _almost_too_slow()


def corr2d(X, K):
    time.sleep(3600)


def conv2d_strict(X, K):
    time.sleep(3600)
