"""What a probe sends back: plain data converted from whatever the student returned, and the
errors with a fixed type name the trusted side recognises (StudentError.type_name).

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""

import torch

# ---------------------------------------------------------------------------------------------
# Errors with a fixed type name the trusted side recognises (StudentError.type_name).


class ForbiddenBuiltinError(Exception):
    """Raised when a graded "implement it yourself" function calls a library built-in that does
    the whole job (convolution, pooling, im2col). Its message is the built-in's dotted name."""


class StudentNameMissing(Exception):
    """The submission does not define the requested name."""


# ---------------------------------------------------------------------------------------------
# Conversion of whatever the student returned into plain data.


def plain(value, depth=0):
    if depth > 20:
        return {"__unsupported__": "…"}  # nested too deep: shown as <…>
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (bool, int, float, str)):
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return base(value)
    mod = type(value).__module__ or ""
    if mod.startswith("numpy"):
        try:
            if type(value).__name__ == "ndarray":
                return torch.as_tensor(value.copy())
            return value.item()  # numpy scalar
        except Exception:  # noqa: BLE001 - reported as unsupported below
            pass
    if isinstance(value, (list, tuple)):
        items = [plain(v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in list(value.items())[:100]}
    return {"__unsupported__": f"{mod}.{type(value).__qualname__}"}


def type_name(value):
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"


def lookup(ns, name):
    if name not in ns:
        raise StudentNameMissing(name)
    return ns[name]


