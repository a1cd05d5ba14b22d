"""Start ipykernel inside the kernels' sandbox.

The kernels' zygote (preloaded.py) calls main(ARGS) in a forked child that is already confined
(private /tmp, rlimits, the kernel's own unprivileged uid) and in its working folder: ARGS is
the argument list the trusted side built (`-f CONNECTION_FILE` and nbclient's extra options).
"""
import sys


def main(argv, cfg=None):
    # as ipykernel_launcher: no cwd on sys.path while the kernel loads (IPython puts it back)
    while "" in sys.path:
        sys.path.remove("")
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=list(argv))
