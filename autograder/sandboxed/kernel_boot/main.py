"""Start ipykernel inside the kernels' sandbox.

main(ARGS, cfg) runs once the process is confined: in a child forked by the kernels' zygote
(preloaded.py: private /tmp, rlimits, the kernel's own unprivileged uid), or as the entry point of
a kernel's own sandbox (an ordinary user's bwrap, or the Landlock mode), in its working folder.
ARGS is the argument list the trusted side built (`-f CONNECTION_FILE` and nbclient's extra
options).
"""
import sys


def _no_tcp_pipe():
    """Landlock mode: sockets other than unix ones do not exist for the kernel, and libzmq aborts
    when ipykernel binds its IOPub pipe (output of forked subprocesses) to TCP on loopback. Go
    without that pipe, as ipykernel does when the bind fails."""
    from ipykernel import iostream

    def setup_pipe_in(self):
        self._pipe_flag = False

    iostream.IOPubThread._setup_pipe_in = setup_pipe_in
    # /proc lists only the kernel itself there: at shutdown, ipykernel's search for its children
    # (psutil) would print a PermissionError; the trusted side kills the kernel's session anyway
    from ipykernel import kernelbase
    if hasattr(kernelbase.Kernel, "_process_children"):
        kernelbase.Kernel._process_children = lambda self, *args, **kwargs: []


def main(argv, cfg=None):
    # as ipykernel_launcher: no cwd on sys.path while the kernel loads (IPython puts it back)
    while "" in sys.path:
        sys.path.remove("")
    if (cfg or {}).get("landlock"):
        _no_tcp_pipe()
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=list(argv))
