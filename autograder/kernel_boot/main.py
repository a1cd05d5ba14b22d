"""Start ipykernel inside the kernel's sandbox.

The sandbox's boot (confine.boot, mounted next to this file: see autograder/nbgrader_kernel.py)
has already set sys.path, applied the rlimits and dropped to the kernel's own unprivileged uid
when it calls main(ARGS, cfg): ARGS is the argument list the trusted side built
(`-f CONNECTION_FILE` and nbclient's extra options).
"""
import sys


def main(argv, cfg=None):
    # as ipykernel_launcher: no cwd on sys.path while the kernel loads (IPython puts it back)
    while "" in sys.path:
        sys.path.remove("")
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=list(argv))
