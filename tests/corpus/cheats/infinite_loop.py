"""Never returns: corr2d spins forever (and ignores SIGALRM and SIGTERM)."""
import signal


def corr2d(X, K):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass


def echo(x):
    return x
