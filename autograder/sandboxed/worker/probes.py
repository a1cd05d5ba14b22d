"""The student side of each hidden test. A probe receives the namespace the student code ran
in, calls into it and returns data only (see docs/architecture.md). No expected values and no
assertions here: every decision is taken by the trusted suite.

Because a probe takes the namespace as its first argument, a suite can run the same probe on a
reference module's namespace in the trusted process (``PROBES[name](vars(module), ...)``) to get
the expected data (train_epoch / evaluate: same seed -> same losses and weights).

The probes, by name (what the worker answers): the generic call (calls.py), ps2's layer
(probes_conv2d.py), ps5's networks and loops (probes_nets.py) and model descriptions
(probes_model.py). This file runs inside the sandbox: relative imports only.
"""
from .calls import call_function, call_student
from .probes_conv2d import conv2d_forward, conv2d_params
from .probes_model import MODEL_PROBES
from .probes_nets import describe_net, run_layer_shapes, run_loop

PROBES = {
    "call_function": call_function,
    "call_student": call_student,
    "conv2d_params": conv2d_params,
    "conv2d_forward": conv2d_forward,
    "describe_net": describe_net,
    "run_layer_shapes": run_layer_shapes,
    "run_loop": run_loop,
}


PROBES.update(MODEL_PROBES)
