"""Trusted reading of the worker's evidence about custom parameterless layers of a ps5 model.

d2l's first edition starts LeNet with ``class Reshape(nn.Module)`` (``x.view(-1, 1, 28, 28)``),
and some course code writes its own Flatten. The describing probes (autograder/sandboxed/worker/probes_nets.py
``describe_net``, autograder/sandboxed/worker/probes_model.py ``describe_model``) run each layer that is
not a torch.nn class and has no parameters on the contract's input at that point and report
"identity", "flatten" or "other". Here an "identity" layer is dropped and a "flatten" layer
becomes nn.Flatten; everything else is left for the structure checks to refuse.

The evidence is untrusted, and that is fine: the structure checks then compare the result with
the contract's LeNet, and the training check only trains its own rebuild from torch.nn classes
(docs/security.md).
"""

IDENTITY = "identity"
FLATTEN = "flatten"


def _stands_in(layer):
    """The layer's reported behaviour if it is one we interpret, else None."""
    if isinstance(layer, dict) and layer.get("behaviour") in (IDENTITY, FLATTEN):
        return layer["behaviour"]
    return None


def standard_model_layers(layers):
    """describe_model's layers with identity layers dropped and flatten layers as nn.Flatten;
    a torch.nn layer, or one with parameters, is left as it is (the whitelist decides)."""
    out = []
    for layer in layers:
        behaviour = _stands_in(layer)
        if behaviour is None or layer.get("n_params") != 0 \
                or str(layer.get("module", "")).startswith("torch.nn"):
            out.append(layer)
        elif behaviour == FLATTEN:
            out.append(dict(layer, type="Flatten", module="torch.nn.modules.flatten",
                            hparams={"start_dim": 1, "end_dim": -1}, behaviour=None))
    return out


def standard_net_layers(layers):
    """describe_net's layers with identity layers dropped and flatten layers as nn.Flatten
    (the probe reports a behaviour only for custom parameterless layers)."""
    out = []
    for layer in layers:
        behaviour = _stands_in(layer)
        if behaviour is None:
            out.append(layer)
        elif behaviour == FLATTEN:
            out.append(dict(layer, torch_class="Flatten", config={}, behaviour=None))
    return out
