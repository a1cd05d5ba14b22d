"""Tries to kill the grader: signals the parent process, pid 1, and every process it can
reach (kill(-1))."""
import os
import signal


def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)
    return os.getppid()


def kill_init():
    os.kill(1, signal.SIGKILL)
    return 1


def kill_all():
    os.kill(-1, signal.SIGKILL)
    return -1


def echo(x):
    return x
