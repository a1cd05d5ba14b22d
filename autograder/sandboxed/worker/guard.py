""""Implement it yourself" at run time: while a guarded student function runs, the built-ins and
the dispatcher kernels that do the whole job raise ForbiddenBuiltinError. Advisory (the verdict
is the trusted side's static rule).

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""
import contextlib
import re
import sys
import types

import torch

from .values import ForbiddenBuiltinError

# ---------------------------------------------------------------------------------------------
# "Implement it yourself": while the student's function runs, the built-ins that do the whole
# job raise ForbiddenBuiltinError (and are recorded, in case the student catches the error).
# Which built-ins is the trusted side's decision (the assignment's `forbidden` names in
# autograder/grading/registry.py, sent as `guard`); the error carries the name only, and the trusted
# side words the message.


_ROOTS = {"torch": torch}  # bound before any student code runs (sys.modules is theirs to edit)


def _resolve(dotted):
    """The object a dotted name denotes, from torch or a module already imported, never
    importing one (a plain module is read through its __dict__, which holds only the submodules
    already loaded); None when it is not there."""
    root, *rest = dotted.split(".")
    obj = _ROOTS.get(root) or sys.modules.get(root)
    for part in rest:
        if obj is None:
            return None
        if type(obj) is types.ModuleType:
            obj = vars(obj).get(part)
        else:
            try:
                obj = getattr(obj, part)
            except Exception:  # noqa: BLE001 - absent in this torch version
                return None
    return obj


def _forbidden_targets(names):
    """(owner, attribute, public name) of every built-in in `names` that exists here; a class
    (torch.nn.Conv2d) is blocked through its own forward."""
    targets = []
    for public in names:
        owner_name, _, attr = str(public).rpartition(".")
        owner = _resolve(owner_name) if owner_name else None
        if owner is None:
            continue
        try:
            target = getattr(owner, attr)
        except Exception:  # noqa: BLE001 - absent in this torch version
            continue
        if isinstance(target, type):
            if "forward" in vars(target):
                targets.append((target, "forward", public))
        else:
            targets.append((owner, attr, public))
    return targets


# The second layer: the convolution, pooling and im2col kernels replaced at PyTorch's
# dispatcher (torch.library) for every dispatch key they have, while a guarded call runs, so a
# reference captured anywhere (F.conv2d in a list, torch._VF, torch.ops.aten, nn.Conv2d) fails
# too. The operator names mirror cursocnn/allowlist.py's FORBIDDEN_NAME (tests/suites/test_trust_static.py
# checks both select the same aten operators). Advisory, like everything in the worker.
KERNEL_OP = re.compile(
    r"^_*(?:conv(?:_transpose)?[123]d\w*|conv_tbc\w*|conv_depthwise\w*|convolution\w*|"
    r"\w*_convolution\w*|slow_conv\w*|thnn_conv\w*|\w+_conv(?:_transpose)?[123]d\w*|"
    r"(?:quantized_|mkldnn_|mps_|cudnn_)?(?:max|avg)_pool[123]d\w*|adaptive_(?:max|avg)_pool[123]d\w*|"
    r"lp_pool[123]d|fractional_max_pool[123]d\w*|im2col\w*|col2im\w*)$")
_DISPATCH_KEYS = ("CompositeImplicitAutograd", "CompositeExplicitAutograd", "CPU", "CUDA")
_KERNELS = None   # [(overload name, dispatch key)], found once per process


def kernel_registrations():
    global _KERNELS
    if _KERNELS is None:
        found = []
        for qualified in torch._C._dispatch_get_all_op_names():
            ns, _, op = qualified.partition("::")
            if ns != "aten" or not KERNEL_OP.match(op.split(".")[0]):
                continue
            for key in _DISPATCH_KEYS:
                try:
                    if torch._C._dispatch_has_kernel_for_dispatch_key(qualified, key):
                        found.append((op, key))
                except Exception:  # noqa: BLE001 - an operator this build does not have
                    pass
        _KERNELS = found
    return _KERNELS


@contextlib.contextmanager
def blocked_kernels(used):
    """While inside: every conv/pool/im2col kernel raises ForbiddenBuiltinError (and is recorded
    in `used`, in case the student catches it). Leaving restores the original kernels."""
    import warnings

    def blocker(op):
        public = "torch.ops.aten." + op.split(".")[0]

        def blocked(*args, **kwargs):
            used.append(public)
            raise ForbiddenBuiltinError(public)
        return blocked

    lib = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "overriding a previously registered kernel"
            lib = torch.library.Library("aten", "IMPL")
            for op, key in kernel_registrations():
                try:
                    lib.impl(op, blocker(op), key)
                except Exception:  # noqa: BLE001 - the first layer still guards this one
                    pass
    except Exception:  # noqa: BLE001 - no dispatcher layer in this torch: the first one stays
        lib = None
    try:
        yield
    finally:
        if lib is not None:
            lib._destroy()


@contextlib.contextmanager
def forbid_builtins(ns, used, names):
    patched = []  # (owner, attr, original, had_own_attribute)
    originals = {}

    def blocker(public):
        def blocked(*args, **kwargs):
            used.append(public)
            raise ForbiddenBuiltinError(public)
        return blocked

    try:
        for owner, attr, public in _forbidden_targets(names):
            try:
                original = getattr(owner, attr)
            except Exception:  # noqa: BLE001 - absent in this torch version
                continue
            own = attr in vars(owner) if isinstance(vars(owner), dict) else True
            try:
                setattr(owner, attr, blocker(public))
            except Exception:  # noqa: BLE001 - read-only attribute
                continue
            patched.append((owner, attr, original, own))
            originals.setdefault(id(original), public)
        # names the student imported directly (`from torch.nn.functional import conv2d`)
        ns_patched = []
        for key, value in list(ns.items()):
            public = originals.get(id(value))
            if public is not None:
                ns_patched.append((key, value))
                ns[key] = blocker(public)
        try:
            yield
        finally:
            for key, value in ns_patched:
                ns[key] = value
    finally:
        for owner, attr, original, own in reversed(patched):
            try:
                if own or owner is torch.ops.aten:
                    setattr(owner, attr, original)
                else:
                    delattr(owner, attr)
            except Exception:  # noqa: BLE001
                setattr(owner, attr, original)


