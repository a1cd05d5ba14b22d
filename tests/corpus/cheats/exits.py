"""Tries to stop the grader: corr2d exits the interpreter (sys.exit, os._exit) or raises
exceptions that are not Exception subclasses (KeyboardInterrupt, a custom BaseException)."""
import os
import sys


class Escape(BaseException):
    pass


def corr2d_sys_exit(X, K):
    sys.exit(0)


def corr2d_os_exit(X, K):
    os._exit(0)


def corr2d_keyboard(X, K):
    raise KeyboardInterrupt


def corr2d_base(X, K):
    raise Escape("¡me escapo!")


def echo(x):
    return x
