"""ps5's probes: the student's networks described layer by layer, layer_shapes run on a
specification, train_epoch and evaluate run on recorded batches.

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""

import torch
from torch import nn

from .calls import call_student
from .lenet_contract import course_fields
from .probes_model import hparams, is_custom_parameterless, layer_behaviour
from .stand_ins import isolated
from .values import lookup, plain, type_name

# ---------------------------------------------------------------------------------------------
# ps5: networks, layer_shapes, train_epoch, evaluate.


class Recorder(nn.Module):
    """Identity layer that logs the mode it runs in (works even if the student calls
    model.forward directly, bypassing hooks)."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, x):
        self.log.append(("forward", bool(self.training), bool(torch.is_grad_enabled()),
                         int(x.shape[0])))
        return x


_SPEC_LAYERS = {"Conv2d", "Linear", "Sigmoid", "ReLU", "Tanh", "Flatten", "MaxPool2d",
                "AvgPool2d", "Dropout", "BatchNorm2d", "Identity"}


def build_net(spec, log=None):
    """nn.Sequential from [[class name, args, kwargs], ...] (a whitelist of torch.nn layers)."""
    layers = []
    for name, args, kwargs in spec:
        if name == "Recorder":
            layers.append(Recorder(log if log is not None else []))
        elif name in _SPEC_LAYERS:
            layers.append(getattr(nn, name)(*args, **kwargs))
        else:
            raise ValueError(name)
    return nn.Sequential(*layers)


def _torch_class(module):
    for cls in type(module).__mro__:
        if (cls.__module__ or "").startswith("torch.nn"):
            return cls.__name__
    return type(module).__name__


def _layer_config(layer):
    """The layer's hyperparameters as the ps5 contract names them (lenet_contract.course_fields)."""
    return course_fields(_torch_class(layer), hparams(layer))


def _leaves(module):
    if isinstance(module, nn.Sequential):
        out = []
        for child in module:
            out += _leaves(child)
        return out
    return [module]


def describe_net(ns, name, input_shape, seed=0):
    """Build ns[name](), run a random input through its layers one at a time and describe it."""
    torch.manual_seed(seed)
    net = lookup(ns, name)()
    info = {"type": type_name(net), "is_module": isinstance(net, nn.Module),
            "is_sequential": isinstance(net, nn.Sequential), "layers": [], "nested": False,
            "n_params": None, "batch_output_shape": None}
    if not isinstance(net, nn.Module):
        return info
    leaves = _leaves(net) if isinstance(net, nn.Sequential) else list(net.children())
    info["nested"] = isinstance(net, nn.Sequential) and len(leaves) != len(net)
    x = torch.rand(input_shape)
    with torch.no_grad():
        for layer in leaves:
            behaviour = None
            if is_custom_parameterless(layer):  # a copy in: an in-place change is not "identity"
                x_in, x = x, layer(x.clone())
                behaviour = layer_behaviour(x_in, x)
            else:
                x = layer(x)
            info["layers"].append({"class": type(layer).__name__, "torch_class": _torch_class(layer),
                                   "config": _layer_config(layer), "shape": tuple(x.shape),
                                   "behaviour": behaviour})
        out = net(torch.rand((3,) + tuple(input_shape[1:])))
    info["batch_output_shape"] = tuple(out.shape)
    info["n_params"] = sum(p.numel() for p in net.parameters())
    return info


def run_layer_shapes(ns, spec, input_shape, seed=0):
    torch.manual_seed(seed)
    net = build_net(spec)
    return call_student(ns, "layer_shapes", (net, tuple(input_shape)), seed=seed)


class RecordingOptimizer:
    """Plain SGD (written out: torch.optim's first step imports torch._dynamo, seconds of start-up)
    that logs zero_grad/step calls and the gradient norm seen at each step."""

    def __init__(self, params, lr, log):
        self.params = list(params)
        self.lr = lr
        self.param_groups = [{"params": self.params, "lr": lr}]
        self.defaults = {"lr": lr}
        self.state = {}
        self.log = log

    def zero_grad(self, set_to_none=True):
        self.log.append(("zero_grad",))
        for p in self.params:
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure=None):
        norm = sum(float(p.grad.abs().sum()) for p in self.params if p.grad is not None)
        self.log.append(("step", norm))
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-self.param_groups[0]["lr"])


class RecordingLoss(nn.CrossEntropyLoss):
    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, logits, y):
        loss = super().forward(logits, y)
        hits = (logits.detach().argmax(dim=1) == y).double().mean()
        self.log.append(("loss", float(loss.detach()), bool(loss.requires_grad), float(hits)))
        if loss.requires_grad:
            loss.register_hook(lambda g: self.log.append(("backward",)))
        return loss


def run_loop(ns, fn, spec, batches, lr=0.1, seed=0, start_mode="eval"):
    """Run the student's train_epoch (fn="train_epoch") or evaluate (fn="evaluate") on a small
    trusted model (built from spec, with a Recorder layer) over `batches` [(X, y), ...].
    Returns the returned value, the call log and the final weights."""
    log = []
    torch.manual_seed(seed)
    model = build_net(spec, log)
    model.train(start_mode == "train")
    criterion = RecordingLoss(log)
    device = torch.device("cpu")
    loader = [(X, y) for X, y in batches]
    with isolated(ns, ["accuracy"]):
        torch.manual_seed(seed + 1)
        if fn == "train_epoch":
            optimizer = RecordingOptimizer(model.parameters(), lr, log)
            value = lookup(ns, fn)(model, loader, optimizer, criterion, device)
        else:
            value = lookup(ns, fn)(model, loader, criterion, device)
    return {"value": plain(value), "type": type_name(value), "log": log,
            "weights": {n: p.detach().clone() for n, p in model.named_parameters()},
            "final_training": bool(model.training)}


