"""The accepted description rebuilt from torch.nn alone (never the student's objects or weights),
its per-layer shapes and parameter count checked, initialised with the check's seed."""
from __future__ import annotations

import inspect

import torch
from torch import nn

from autograder.sandboxed.worker.lenet_contract import LENETS
from autograder.text.deferred import Text
from autograder.text.i18n import N_
from autograder.training.contract import EXPECTED, WHITELIST, ModelRejected, compare_with_contract, normalised_layers
from cursocnn import training

SEED = 20240


# ---------------------------------------------------------------------------------------------
# Rebuild, shapes, parameters.


def rebuild(layers) -> nn.Sequential:
    """A fresh nn.Sequential from the whitelist and the *normalised* hyperparameters only
    (default init; consumes the global RNG like the reference's constructors)."""
    mods = []
    for kind, hp, _raw, lazy in layers:
        cls = WHITELIST[kind]
        kwargs = {k: v for k, v in hp.items()}
        in_key = {"Conv2d": "in_channels", "Linear": "in_features"}.get(kind)
        if lazy and in_key and kwargs.get(in_key) in (0, None):
            cls = WHITELIST["Lazy" + kind]
            kwargs.pop(in_key)
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
        mods.append(cls(**{k: v for k, v in kwargs.items() if k in accepted}))
    return nn.Sequential(*mods)


def check_shapes_and_params(name, model):
    net = LENETS[name]
    expected = [shape[1:] for shape in net.shapes()]
    X = torch.zeros(net.input_shape)
    with torch.no_grad():
        for i, layer in enumerate(model, start=1):
            kind = type(layer).__name__
            try:
                X = layer(X)
            except Exception as exc:  # noqa: BLE001 - incompatible shapes between layers
                raise ModelRejected("shape_error", Text(
                    N_("{name}(): la capa {i} ({kind}) no acepta la salida de la anterior, de "
                       "forma {shape}: {error}"),
                    name=name, i=i, kind=kind, shape=tuple(X.shape), error=exc)) from None
            if i <= len(expected) and tuple(X.shape[1:]) != expected[i - 1]:
                raise ModelRejected("wrong_shape", Text(
                    N_("{name}(): la salida de la capa {i} ({kind}) tiene forma {shape}; se "
                       "esperaba {expected}."),
                    name=name, i=i, kind=kind, shape=tuple(X.shape[1:]), expected=expected[i - 1]))
    n = sum(p.numel() for p in model.parameters())
    if n != net.n_params:
        raise ModelRejected("wrong_params", Text(
            N_("{name}() tiene {n:,} parámetros; LeNet tiene {expected:,}."),
            name=name, n=n, expected=net.n_params))


def build_checked(name, description, seed=SEED) -> nn.Sequential:
    """Description -> the trusted, initialised model (raises ModelRejected before any training)."""
    if name not in EXPECTED:
        raise ValueError(f"unknown model {name!r}")
    layers = normalised_layers(description, name)
    compare_with_contract(name, layers)
    torch.manual_seed(seed)
    model = rebuild(layers)
    check_shapes_and_params(name, model)  # also materialises lazy layers
    return training.xavier_init(model)


