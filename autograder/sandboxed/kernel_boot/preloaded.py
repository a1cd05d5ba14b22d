"""The kernels' zygote: runs INSIDE the kernel sandbox, as its root, and never runs student code.

One per `nbgrader autograde` command (started by autograder/nbgrader/kernel.py on the first
kernel). It imports what every kernel of the course would import afresh (ipykernel, torch,
torchvision, numpy, matplotlib: ~6 s of CPU per kernel otherwise), then forks one ipykernel per
notebook with the worker's zygote code (worker/zygote.py, mounted beside this file), each child
confined like a fresh sandbox (private /tmp and /dev/shm, rlimits, the unprivileged uid the
trusted side chose) before it runs ipykernel in its working folder.

    {"op": "spawn", "uid": int, "rlimits": [...], "tmp_bytes": int, "cwd": FOLDER,
     "argv": ipykernel's arguments, "env": {NAME: VALUE}} + fds [stdout, stderr, alive]

`alive` is the write end of a pipe the child keeps open (close-on-exec) and never writes: the
trusted side sees EOF when the kernel and every fork of it are gone.
"""
import gc
import os
import socket

from .zygote import Zygote, import_optional

# What every notebook of the course imports (torch, the kit's plots, torchvision for the kit's
# Fashion-MNIST loader), before any student code: each optional. pyplot only loads here; its
# backend (the inline one, $MPLBACKEND) is chosen at the kernel's first figure, when IPython runs.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "numpy", "torch", "torch.nn.functional",
           "torchvision", "torchvision.datasets", "matplotlib", "matplotlib.pyplot")


def kernel_child(req, fds):
    """(stdout, stderr, kept fds, run) of one kernel: validated here, in the zygote."""
    if len(fds) != 3:
        raise ValueError("a kernel needs 3 fds: stdout, stderr, alive")
    out, err, alive = fds
    cwd = str(req["cwd"])
    argv = [str(a) for a in req["argv"]]
    env = {str(k): str(v) for k, v in (req.get("env") or {}).items()}

    def run():
        os.set_inheritable(alive, False)
        os.environ.update(env)
        os.chdir(cwd)                     # as the kernel's uid: its own folder, 0700
        from .main import main
        main(argv)

    return out, err, (alive,), run


def main(argv, cfg):
    """Entry point after confine.boot: argv is [CONTROL_FD]; cfg the boot configuration."""
    import_optional(PRELOAD)
    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in the children
    ctl = socket.socket(fileno=int(argv[0]))
    try:
        Zygote(ctl, tuple(cfg["uids"]), child=kernel_child).serve()
    finally:
        os._exit(0)
