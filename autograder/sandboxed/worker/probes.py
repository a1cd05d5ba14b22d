"""The student side of each hidden test. A probe receives the namespace the student code ran
in, calls into it and returns data only (see docs/architecture.md). No expected values and no
assertions here: every decision is taken by the trusted suite.

Because a probe takes the namespace as its first argument, a suite can run the same probe on a
reference module's namespace in the trusted process (``PROBES[name](vars(module), ...)``) to get
the expected data (train_epoch / evaluate: same seed -> same losses and weights).

This file runs inside the sandbox: standard library and torch only, relative imports only.
"""
import contextlib
import re
import sys
import types

import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# Errors with a fixed type name the trusted side recognises (StudentError.type_name).


class ForbiddenBuiltinError(Exception):
    """Raised when a graded "implement it yourself" function calls a library built-in that does
    the whole job (convolution, pooling, im2col). Its message is the built-in's dotted name."""


class StudentNameMissing(Exception):
    """The submission does not define the requested name."""


# ---------------------------------------------------------------------------------------------
# Conversion of whatever the student returned into plain data.


def _plain(value, depth=0):
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
        items = [_plain(v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:100]}
    return {"__unsupported__": f"{mod}.{type(value).__qualname__}"}


def _type_name(value):
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"


def _get(ns, name):
    if name not in ns:
        raise StudentNameMissing(name)
    return ns[name]


# ---------------------------------------------------------------------------------------------
# Correct helpers substituted for the student's own helpers while another function is graded
# (each graded function is judged on its own: a broken corr2d must not sink Conv2D).
#
# Rule: a stand-in honours the whole contract of the function it replaces (COURSE.md), i.e. its
# result works wherever the result of ANY valid implementation would work, because the student
# wrote the calling code against their own valid implementation. Where the contract allows
# several result types (accuracy: a Python float or a 0-d tensor), the stand-in returns a value
# that is both. tests/test_stand_ins.py checks every entry of HELPERS against its contract.


class FloatScalar(float):
    """A Python float that also answers a 0-d tensor's API: .item(), .cpu(), .detach(), .to(),
    .numpy(), ... (any tensor attribute, on a 0-d float32 tensor of the same value) and torch
    functions (torch.stack([acc, ...]), torch.as_tensor(acc)). Arithmetic with numbers gives plain
    floats, with tensors tensors, exactly as a float would."""

    def _tensor(self):
        return torch.tensor(float(self))

    def item(self):
        return float(self)

    def tolist(self):
        return float(self)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._tensor(), name)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        def plain(value):
            if isinstance(value, FloatScalar):
                return value._tensor()
            if isinstance(value, (list, tuple)):
                return type(value)(plain(v) for v in value)
            return value

        return func(*plain(tuple(args)), **{k: plain(v) for k, v in (kwargs or {}).items()})


def _corr2d(X, K):
    k_h, k_w = K.shape
    windows = X.unfold(0, k_h, 1).unfold(1, k_w, 1)
    return (windows * K).sum(dim=(-2, -1))


def _corr2d_multi_in(X, K):
    return sum(_corr2d(x, k) for x, k in zip(X, K))


def _accuracy(logits, y):
    return FloatScalar((logits.argmax(dim=1) == y).float().mean().item())


HELPERS = {"corr2d": _corr2d, "corr2d_multi_in": _corr2d_multi_in, "accuracy": _accuracy}


@contextlib.contextmanager
def isolated(ns, names):
    saved = {n: ns[n] for n in names if n in ns}
    try:
        for n in names:
            ns[n] = HELPERS[n]
        yield
    finally:
        for n in names:
            if n in saved:
                ns[n] = saved[n]
            else:
                ns.pop(n, None)


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
# too. The operator names mirror cursocnn/allowlist.py's FORBIDDEN_NAME (tests/test_trust_static.py
# checks both select the same aten operators). Advisory, like everything in the worker.
_KERNEL_OP = re.compile(
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
            if ns != "aten" or not _KERNEL_OP.match(op.split(".")[0]):
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


# ---------------------------------------------------------------------------------------------
# Counting the work a function does: torch operations (a TorchFunctionMode) and Python lines
# executed in the student's own code. A vectorised function does the same amount of work for a
# small and a large input; a per-pixel loop does work proportional to the number of pixels.

class _OpCounter(torch.overrides.TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def count_work(stats):
    lines = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith("<student"):
            lines[0] += 1
            return tracer
        return None

    counter = _OpCounter()
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        with counter:
            yield
    finally:
        sys.settrace(old)
        stats["ops"] = counter.count
        stats["lines"] = lines[0]


# ---------------------------------------------------------------------------------------------
# Generic call of a student function.


def call_function(ns, name, *args, **kwargs):
    return _plain(_get(ns, name)(*args, **kwargs))


def seed_everything(seed):
    """Seed every generator student code may draw from: torch's, Python's `random` and numpy's
    legacy global one (numpy only when it is already imported: a probe never imports it)."""
    import random

    torch.manual_seed(seed)
    random.seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed(seed % (2 ** 32))
        except Exception:  # noqa: BLE001 - a numpy the student replaced: torch and random still are
            pass


def call_student(ns, name, args=(), kwargs=None, guard=False, isolate=(), seed=None,
                 count=False):
    """Call ns[name](*args, **kwargs). Options: guard (the dotted names of the built-ins to
    block, from the trusted side), isolate (substitute correct helpers for the student's), seed
    (seed_everything first: torch, random, numpy), count (measure ops and student lines).
    Returns {"value", "type", "forbidden", "ops", "lines"}."""
    fn = _get(ns, name)
    used, stats = [], {}
    with contextlib.ExitStack() as stack:
        stack.enter_context(isolated(ns, list(isolate)))
        if seed is not None:
            seed_everything(seed)
        if guard:
            if not isinstance(guard, (list, tuple)):
                raise TypeError("guard takes the dotted names of the built-ins to block")
            stack.enter_context(forbid_builtins(ns, used, guard))
            if any(_KERNEL_OP.match(str(name).rpartition(".")[2]) for name in guard):
                stack.enter_context(blocked_kernels(used))  # the list is about these kernels
        if count:
            stack.enter_context(count_work(stats))
        try:
            value = fn(*args, **(kwargs or {}))
        except Exception:
            if used:  # a blocked kernel, whatever error it surfaced as
                raise ForbiddenBuiltinError(used[0]) from None
            raise
    if used:  # the student caught the ForbiddenBuiltinError and went on
        raise ForbiddenBuiltinError(used[0])
    return {"value": _plain(value), "type": _type_name(value), "forbidden": used,
            "ops": stats.get("ops"), "lines": stats.get("lines")}


# ---------------------------------------------------------------------------------------------
# ps2: the Conv2D layer.


def _describe_attr(module, attr):
    if not hasattr(module, attr):
        return None
    v = getattr(module, attr)
    info = {"type": _type_name(v), "is_tensor": isinstance(v, torch.Tensor)}
    if isinstance(v, torch.Tensor):
        info.update(is_parameter=isinstance(v, nn.Parameter),
                    registered=any(p is v for p in module.parameters()),
                    requires_grad=bool(v.requires_grad), shape=tuple(v.shape),
                    value=v.detach().clone())
    return info


def conv2d_params(ns, kernel_size, seed=0):
    """Two fresh Conv2D(kernel_size) after torch.manual_seed(seed): their parameters."""
    cls = _get(ns, "Conv2D")
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
    cls = _get(ns, "Conv2D")
    with isolated(ns, ["corr2d"]):
        torch.manual_seed(seed)
        layer = cls(kernel_size)
        if set_bias is not None and isinstance(getattr(layer, "bias", None), torch.Tensor):
            with torch.no_grad():
                layer.bias.fill_(set_bias)
        weight, bias = _describe_attr(layer, "weight"), _describe_attr(layer, "bias")
        out = layer(x)
        result = {"weight": weight, "bias": bias, "output": _plain(out),
                  "output_requires_grad": bool(getattr(out, "requires_grad", False)),
                  "grads": None}
        if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == grad_output.shape:
            (out * grad_output).sum().backward()
            result["grads"] = {n: (None if p.grad is None else p.grad.detach().clone())
                               for n, p in layer.named_parameters()}
    return result


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
    net = _get(ns, name)()
    info = {"type": _type_name(net), "is_module": isinstance(net, nn.Module),
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
            value = _get(ns, fn)(model, loader, optimizer, criterion, device)
        else:
            value = _get(ns, fn)(model, loader, criterion, device)
    return {"value": _plain(value), "type": _type_name(value), "log": log,
            "weights": {n: p.detach().clone() for n, p in model.named_parameters()},
            "final_training": bool(model.training)}


PROBES = {
    "call_function": call_function,
    "call_student": call_student,
    "conv2d_params": conv2d_params,
    "conv2d_forward": conv2d_forward,
    "describe_net": describe_net,
    "run_layer_shapes": run_layer_shapes,
    "run_loop": run_loop,
}


from .lenet_contract import course_fields  # noqa: E402
from .probes_model import (  # noqa: E402  (the ps5 model probes live in their own module)
    MODEL_PROBES, hparams, is_custom_parameterless, layer_behaviour)

PROBES.update(MODEL_PROBES)
