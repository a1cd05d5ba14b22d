"""ps2's probes: the student's Conv2D layer (its parameters, forward and gradients) as data.

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""

import torch
from torch import nn

from .stand_ins import isolated
from .values import lookup, plain, type_name

# ---------------------------------------------------------------------------------------------
# ps2: the Conv2D layer.


def _describe_attr(module, attr):
    if not hasattr(module, attr):
        return None
    v = getattr(module, attr)
    info = {"type": type_name(v), "is_tensor": isinstance(v, torch.Tensor)}
    if isinstance(v, torch.Tensor):
        info.update(is_parameter=isinstance(v, nn.Parameter),
                    registered=any(p is v for p in module.parameters()),
                    requires_grad=bool(v.requires_grad), shape=tuple(v.shape),
                    value=v.detach().clone())
    return info


def conv2d_params(ns, kernel_size, seed=0):
    """Two fresh Conv2D(kernel_size) after torch.manual_seed(seed): their parameters."""
    cls = lookup(ns, "Conv2D")
    with isolated(ns, ["corr2d"]):
        torch.manual_seed(seed)
        first, second = cls(kernel_size), cls(kernel_size)
    return {
        "is_module": isinstance(first, nn.Module),
        "parameters": {n: {"shape": tuple(p.shape), "requires_grad": bool(p.requires_grad)}
                       for n, p in first.named_parameters()},
        "weight": _describe_attr(first, "weight"),
        "bias": _describe_attr(first, "bias"),
        "weight_second": _describe_attr(second, "weight"),
    }


def conv2d_forward(ns, kernel_size, x, grad_output, seed=0, set_bias=None):
    """A fresh Conv2D (bias filled with set_bias when given and a tensor): its parameters,
    forward(x), and the gradients after (forward(x) * grad_output).sum().backward()."""
    cls = lookup(ns, "Conv2D")
    with isolated(ns, ["corr2d"]):
        torch.manual_seed(seed)
        layer = cls(kernel_size)
        if set_bias is not None and isinstance(getattr(layer, "bias", None), torch.Tensor):
            with torch.no_grad():
                layer.bias.fill_(set_bias)
        weight, bias = _describe_attr(layer, "weight"), _describe_attr(layer, "bias")
        out = layer(x)
        result = {"weight": weight, "bias": bias, "output": plain(out),
                  "output_requires_grad": bool(getattr(out, "requires_grad", False)),
                  "grads": None}
        if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == grad_output.shape:
            (out * grad_output).sum().backward()
            result["grads"] = {n: (None if p.grad is None else p.grad.detach().clone())
                               for n, p in layer.named_parameters()}
    return result


