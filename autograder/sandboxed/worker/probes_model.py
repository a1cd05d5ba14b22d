"""Probes that describe the student's LeNet as data (for the trusted training check).

Runs inside the sandbox. ``describe_model(ns, name)`` calls the student's ``name()`` and returns
its layers as plain data (class name, defining module, hyperparameters, parameter count); never
weights. Lazy layers are materialised first with a zero input (the contract's Fashion-MNIST
image unless told: lenet_contract.FASHION_MNIST_INPUT). A layer
whose class is not from torch.nn and that has no parameters (d2l's first-edition ``Reshape``, a
home-made ``Flatten``) is also run on a random input of that shape, reaching it through the layers
before it, and its behaviour is reported: "identity", "flatten" or "other". The trusted side
(autograder/training/check.py) rebuilds the model from its own whitelist of torch.nn classes:
nothing here is trusted beyond being a description.
"""

from .lenet_contract import FASHION_MNIST_INPUT

MAX_LAYERS = 200


def _plain(value, depth=0):
    """Hyperparameter value -> None/bool/int/float/str or a list of those (else a short repr)."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if depth < 2 and isinstance(value, (tuple, list)) and len(value) <= 8:
        return [_plain(v, depth + 1) for v in value]
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    try:
        import torch

        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return value.item()
    except Exception:  # noqa: BLE001
        pass
    try:
        return "<" + type(value).__name__[:40] + ">"
    except Exception:  # noqa: BLE001
        return "<?>"


def hparams(module):
    """The module's constants (torch's constructor names) as plain data."""
    out = {}
    names = list(getattr(type(module), "__constants__", None) or [])
    for key in names:
        if not isinstance(key, str) or key.startswith("_"):
            continue
        try:
            out[key] = _plain(getattr(module, key))
        except Exception:  # noqa: BLE001 - a broken attribute is reported, not raised
            out[key] = "<error>"
    params = getattr(module, "_parameters", {})
    if "bias" in params:
        out["bias"] = params["bias"] is not None
    return out


def _numel(module):
    import torch.nn as nn

    total = 0
    for p in module.parameters(recurse=True):
        if isinstance(p, nn.parameter.UninitializedParameter):
            return None
        total += int(p.numel())
    return total


def is_custom_parameterless(module):
    """A layer not defined in torch.nn that owns no parameters (its behaviour gets probed)."""
    cls_module = str(getattr(type(module), "__module__", "") or "")
    return not cls_module.startswith("torch.nn") and next(module.parameters(), None) is None


def layer_behaviour(x, y):
    """How a layer turned x into y: "identity" (same tensor values and shape), "flatten"
    (y equals x.reshape(N, -1)) or "other"."""
    import torch

    if type(y) is not torch.Tensor or y.dtype != x.dtype:
        return "other"
    if y.shape == x.shape and torch.equal(y, x):
        return "identity"
    if x.dim() >= 2 and tuple(y.shape) == (x.shape[0], x[0].numel()) \
            and torch.equal(y, x.reshape(x.shape[0], -1)):
        return "flatten"
    return "other"


def _behaviours(flat, input_shape):
    """{label: behaviour} of the custom parameterless layers, from one layer-by-layer pass of a
    random input (a layer never reached, or that raises, is "other")."""
    import torch

    wanted = {label for label, child in flat if is_custom_parameterless(child)}
    if not wanted:
        return {}
    out = dict.fromkeys(wanted, "other")
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(tuple(int(d) for d in input_shape), generator=gen)
    with torch.no_grad():
        for label, child in flat:
            try:  # a copy in for the probed layers: an in-place change is not "identity"
                y = child(x.clone()) if label in wanted else child(x)
            except Exception:  # noqa: BLE001 - the rest stays "other"
                break
            if label in wanted:
                out[label] = layer_behaviour(x, y)
            if not isinstance(y, torch.Tensor):
                break
            x = y
    return out


class _TooManyLayers(Exception):
    pass


def _acts_as_sequential(module) -> bool:
    """An nn.Sequential, or a subclass of it that runs its layers as nn.Sequential does (its own
    __init__, helpers or attributes, but neither forward nor __call__ of its own): what the
    grader rebuilds from the layers is then the same function."""
    import torch.nn as nn

    cls = type(module)
    return isinstance(module, nn.Sequential) and cls.forward is nn.Sequential.forward \
        and cls.__call__ is nn.Sequential.__call__


def _flatten(seq, prefix, out):
    for key, child in seq._modules.items():
        label = f"{prefix}{key}"
        if _acts_as_sequential(child):
            _flatten(child, label + ".", out)
        else:
            out.append((label, child))
        if len(out) > MAX_LAYERS:
            raise _TooManyLayers


def describe_model(ns, name, input_shape=FASHION_MNIST_INPUT):
    """{"kind": "sequential", "layers": [...], ...} | {"kind": "missing"|"not_module"|
    "too_many_layers"|..., ...}. input_shape materialises lazy layers (lenet_rgb takes CIFAR-10's
    3x32x32 images)."""
    import torch
    import torch.nn as nn

    factory = ns.get(name)
    if factory is None:
        return {"kind": "missing", "name": name}
    if not callable(factory):
        return {"kind": "not_callable", "type": type(factory).__name__[:80]}
    model = factory()
    if not isinstance(model, nn.Module):
        return {"kind": "not_module", "type": type(model).__name__[:80]}
    if not _acts_as_sequential(model):
        return {"kind": "not_sequential", "type": type(model).__name__[:80],
                "module": str(type(model).__module__)[:120]}

    materialise_error = None
    lazy = any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters())
    if lazy:
        try:
            with torch.no_grad():
                model(torch.zeros(tuple(int(d) for d in input_shape)))
        except Exception as exc:  # noqa: BLE001 - described, the trusted side explains it
            materialise_error = f"{type(exc).__name__}: {exc}"[:500]

    flat = []
    try:
        _flatten(model, "", flat)
    except _TooManyLayers:
        return {"kind": "too_many_layers", "limit": MAX_LAYERS}
    behaviours = _behaviours(flat, input_shape)
    layers = []
    for label, child in flat:
        cls = type(child)
        layers.append({
            "label": str(label)[:80],
            "type": str(cls.__name__)[:80],
            "module": str(cls.__module__)[:120],
            "hparams": hparams(child),
            "n_params": _numel(child),
            "n_children": len(child._modules),
            "behaviour": behaviours.get(label),
        })
    return {"kind": "sequential", "layers": layers, "lazy": lazy,
            "materialise_error": materialise_error, "n_params": _numel(model)}


MODEL_PROBES = {
    "describe_model": describe_model,
}
