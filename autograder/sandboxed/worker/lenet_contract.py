"""The LeNets of the course's contract (COURSE.md section 13 and the unit's two exercises), as data.

This is the one place that states them. The trusted training check compares a described model
with these layers and rebuilds it from them, the ps5 suite compares students' models (layers,
per-layer shapes, parameter count) and words its hints with their numbers, and the describing
probes take their default input from here. Standard library only: the trusted side imports it as
``autograder.sandboxed.worker.lenet_contract``, the worker (inside the sandbox) as ``.lenet_contract``.

A layer is ``(kind, hparams)``: the torch.nn class name and the constructor arguments the course
fixes, with torch's names (anything not given is torch's default). Shapes and parameter counts
are derived from the layers, so they cannot disagree with them; tests/training/test_lenet_contract.py
checks them against the course's own figures and the reference solution.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

FASHION_MNIST_INPUT = (1, 1, 28, 28)    # one grey 28x28 image (batch of 1)
CIFAR10_INPUT = (1, 3, 32, 32)          # one colour 32x32 image
N_CLASSES = 10


@dataclass(frozen=True)
class Net:
    name: str
    input_shape: tuple
    layers: tuple            # ((kind, {hparam: value}), ...)

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.layers]

    def shapes(self) -> list[tuple]:
        """Output shape of every layer (batch dimension included) for one input_shape tensor."""
        out, shape = [], tuple(self.input_shape)
        for kind, hp in self.layers:
            shape = output_shape(kind, hp, shape)
            out.append(shape)
        return out

    @property
    def n_params(self) -> int:
        return sum(n_params(kind, hp) for kind, hp in self.layers)

    def changed(self, index: int, **hparams) -> "Net":
        """This net with hyperparameters of layer `index` (0-based) replaced: what a common
        mistake builds (a first convolution without padding), for hints."""
        layers = list(self.layers)
        kind, hp = layers[index]
        layers[index] = (kind, dict(hp, **hparams))
        return replace(self, layers=tuple(layers))


def pair(value):
    """An int or a pair (list or tuple) -> (h, w); anything else (a string) unchanged."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    return value


def _window(size, kernel, padding, stride):
    return tuple((n + 2 * p - k) // s + 1 for n, k, p, s in zip(size, kernel, padding, stride))


def output_shape(kind, hp, shape):
    """Shape after one layer of the contract's vocabulary (ints, no 'same' padding)."""
    if kind == "Conv2d":
        size = _window(shape[2:], pair(hp["kernel_size"]), pair(hp.get("padding", 0)),
                       pair(hp.get("stride", 1)))
        return (shape[0], hp["out_channels"]) + size
    if kind in ("AvgPool2d", "MaxPool2d"):
        kernel = pair(hp["kernel_size"])
        size = _window(shape[2:], kernel, pair(hp.get("padding", 0)), pair(hp.get("stride") or kernel))
        return tuple(shape[:2]) + size
    if kind == "Flatten":
        return (shape[0], math.prod(shape[1:]))
    if kind == "Linear":
        return (shape[0], hp["out_features"])
    return tuple(shape)      # activations


def n_params(kind, hp) -> int:
    if kind == "Conv2d":
        return hp["out_channels"] * (hp["in_channels"] * math.prod(pair(hp["kernel_size"])) + 1)
    if kind == "Linear":
        return hp["out_features"] * (hp["in_features"] + 1)
    return 0


def course_fields(kind, hp) -> dict:
    """The hyperparameters the suite compares, under the short names its messages use:
    convolution in/out/kernel/padding/stride, pooling kernel/stride/padding (stride defaults to
    the window), linear in/out. `hp` is a torch-named dict as the probes describe it."""
    if kind == "Conv2d":
        return {"in": hp.get("in_channels"), "out": hp.get("out_channels"),
                "kernel": pair(hp.get("kernel_size")), "padding": pair(hp.get("padding", 0)),
                "stride": pair(hp.get("stride", 1))}
    if kind in ("MaxPool2d", "AvgPool2d"):
        kernel = pair(hp.get("kernel_size"))
        stride = hp.get("stride")
        return {"kernel": kernel, "stride": pair(stride) if stride not in (None, [], ()) else kernel,
                "padding": pair(hp.get("padding", 0))}
    if kind == "Linear":
        return {"in": hp.get("in_features"), "out": hp.get("out_features")}
    return {}


def _lenet(name, activation, pool, channels=(6, 16), hidden=(120, 84),
           input_shape=FASHION_MNIST_INPUT, first_padding=2) -> Net:
    """The course's LeNet-5 family: two 5x5 convolutions each followed by the activation and a
    2x2/2 pooling, then three linear layers (the first takes the flattened feature maps)."""
    act = (activation, {})
    down = (pool, {"kernel_size": 2, "stride": 2})
    features = (
        ("Conv2d", {"in_channels": input_shape[1], "out_channels": channels[0], "kernel_size": 5,
                    "padding": first_padding}), act, down,
        ("Conv2d", {"in_channels": channels[0], "out_channels": channels[1], "kernel_size": 5}),
        act, down, ("Flatten", {}))
    flat = Net(name, input_shape, features).shapes()[-1][1]
    head = (("Linear", {"in_features": flat, "out_features": hidden[0]}), act,
            ("Linear", {"in_features": hidden[0], "out_features": hidden[1]}), act,
            ("Linear", {"in_features": hidden[1], "out_features": N_CLASSES}))
    return Net(name, input_shape, features + head)


#: ps5_lenet's graded models. lenet: the d2l LeNet-5 (Sigmoid, average pooling); lenet_modern:
#: ReLU and max pooling; lenet_wide: lenet_modern with 20/50 channels and 200/80 hidden units;
#: lenet_rgb: lenet_modern for CIFAR-10's 3x32x32 images, no padding in the first convolution.
LENETS = {net.name: net for net in (
    _lenet("lenet", "Sigmoid", "AvgPool2d"),
    _lenet("lenet_modern", "ReLU", "MaxPool2d"),
    _lenet("lenet_wide", "ReLU", "MaxPool2d", channels=(20, 50), hidden=(200, 80)),
    _lenet("lenet_rgb", "ReLU", "MaxPool2d", input_shape=CIFAR10_INPUT, first_padding=0),
)}
