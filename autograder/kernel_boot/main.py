"""Start ipykernel inside the kernel's sandbox.

autograder/sandbox.py's bootstrap (_BOOT) has already set sys.path, applied the rlimits and
dropped to the kernel's own unprivileged uid when it calls main([ARGS_JSON, ""]): ARGS_JSON is
the argument list the trusted side built (`-f CONNECTION_FILE` and nbclient's extra options).
"""
import json
import sys


def main(argv):
    args = json.loads(argv[0])
    # as ipykernel_launcher: no cwd on sys.path while the kernel loads (IPython puts it back)
    while "" in sys.path:
        sys.path.remove("")
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=args)
