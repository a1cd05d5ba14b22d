"""The student's LeNet, as the worker described it, against the course's contract (COURSE.md,
autograder/sandboxed/worker/lenet_contract.py): accepted layers, normalised hyperparameters, and the
first difference explained."""
from __future__ import annotations

from torch import nn

from autograder.sandboxed.worker.lenet_contract import LENETS, N_CLASSES
from autograder.text.deferred import Text
from autograder.text.i18n import N_
from autograder.training.layer_behaviour import standard_model_layers

MODELS = ("lenet", "lenet_modern")
INPUT_SHAPE = LENETS["lenet"].input_shape
N_PARAMS = LENETS["lenet"].n_params        # lenet_modern has the same count

#: The torch.nn classes a described layer may have (everything else is "custom").
WHITELIST = {
    name: getattr(nn, name) for name in (
        "Conv2d", "LazyConv2d", "Linear", "LazyLinear", "AvgPool2d", "MaxPool2d", "Flatten",
        "Sigmoid", "ReLU", "Tanh", "LeakyReLU", "GELU", "ELU", "Softmax", "LogSoftmax",
        "Dropout", "Identity", "BatchNorm2d", "BatchNorm1d", "AdaptiveAvgPool2d",
        "AdaptiveMaxPool2d",
    )
}
LAZY = {"LazyConv2d": "Conv2d", "LazyLinear": "Linear"}


class ModelRejected(Exception):
    """The described model cannot be trained by the check; carries the student-facing text."""

    def __init__(self, code, text: Text):
        super().__init__(text.render("en"))
        self.code, self.text = code, text

    def message(self, lang="es"):
        return self.text.render(lang)


# ---------------------------------------------------------------------------------------------
# Description -> normalised layers.


def _pair(v):
    if isinstance(v, (list, tuple)):
        v = list(v)
        if len(v) == 1:
            v = v * 2
        return tuple(v) if len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool)
                                               for x in v) else ("?",)
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    return v


def _norm(kind, hp):
    """Normalised hyperparameters of a described layer, comparable with EXPECTED."""
    if kind == "Conv2d":
        k = _pair(hp.get("kernel_size"))
        pad = hp.get("padding", 0)
        if pad == "same" and isinstance(k, tuple) and all(isinstance(x, int) and x % 2 for x in k):
            pad = (k[0] // 2, k[1] // 2)
        elif pad == "valid":
            pad = (0, 0)
        out = dict(in_channels=hp.get("in_channels"), out_channels=hp.get("out_channels"),
                   kernel_size=k, stride=_pair(hp.get("stride", 1)), padding=_pair(pad),
                   dilation=_pair(hp.get("dilation", 1)), groups=hp.get("groups", 1),
                   bias=hp.get("bias", True), padding_mode=hp.get("padding_mode", "zeros"))
        return out
    if kind == "Linear":
        return dict(in_features=hp.get("in_features"), out_features=hp.get("out_features"),
                    bias=hp.get("bias", True))
    if kind in ("AvgPool2d", "MaxPool2d"):
        k = _pair(hp.get("kernel_size"))
        stride = hp.get("stride")
        stride = k if stride in (None, [], ()) else _pair(stride)
        out = dict(kernel_size=k, stride=stride, padding=_pair(hp.get("padding", 0)))
        if kind == "MaxPool2d":
            out["dilation"] = _pair(hp.get("dilation", 1))
        out["ceil_mode"] = hp.get("ceil_mode", False)
        if kind == "AvgPool2d":
            out["divisor_override"] = hp.get("divisor_override")
        else:
            out["return_indices"] = hp.get("return_indices", False)
        return out
    if kind == "Flatten":
        start, end = hp.get("start_dim", 1), hp.get("end_dim", -1)
        return dict(start_dim=start, end_dim=end)
    return {}  # activations: inplace etc. do not change the function


#: The contract's architectures with normalised hyperparameters (torch's defaults filled in).
EXPECTED = {name: [(kind, _norm(kind, hp)) for kind, hp in LENETS[name].layers] for name in MODELS}


def normalised_layers(description, name):
    """Validate the probe's description; -> [(kind, normalised hp, raw hp, lazy_unmaterialised)]."""
    kind = description.get("kind") if isinstance(description, dict) else None
    if kind != "sequential":
        t = description.get("type", "?") if isinstance(description, dict) else "?"
        if kind == "missing":
            raise ModelRejected("missing", Text(N_("No encontramos la función {name} en tu entrega."),
                                                name=name))
        if kind == "too_many_layers":
            raise ModelRejected("too_many_layers", Text(
                N_("{name}() tiene más de {limit} capas: no es una LeNet."),
                name=name, limit=description.get("limit")))
        raise ModelRejected("not_sequential", Text(
            N_("{name}() tiene que devolver un nn.Sequential de capas de torch.nn, sin un forward "
               "propio; devolvió {t}. El corrector solo puede entrenar modelos que describe capa por "
               "capa."),
            name=name, t=t))
    raw_layers = description.get("layers")
    if not isinstance(raw_layers, list) or not all(isinstance(x, dict) for x in raw_layers) \
            or not all(isinstance(x.get("hparams", {}), dict) for x in raw_layers):
        raise ModelRejected("malformed", Text(N_("No pudimos describir el modelo que devuelve {name}()."),
                                              name=name))
    raw_layers = standard_model_layers(raw_layers)
    out = []
    for i, layer in enumerate(raw_layers, start=1):
        t, module = str(layer.get("type")), str(layer.get("module", ""))
        if t not in WHITELIST or not module.startswith("torch.nn.modules.") \
                or layer.get("n_children"):
            raise ModelRejected("custom_layer", Text(
                N_("La capa {i} de {name}() es {t} (definida en {module}), que no es una capa "
                   "estándar de torch.nn que el corrector sepa reconstruir. Usa solo capas de "
                   "torch.nn (nn.Conv2d, nn.Linear, nn.Sigmoid/nn.ReLU, nn.AvgPool2d/nn.MaxPool2d, "
                   "nn.Flatten) dentro de un nn.Sequential. Sin eso no podemos entrenar tu modelo "
                   "ni darte los puntos de entrenamiento."),
                i=i, name=name, t=t, module=module or "?"))
        hp = layer.get("hparams") or {}
        base = LAZY.get(t, t)
        out.append((base, _norm(base, hp), hp, t in LAZY))
    if not out:
        raise ModelRejected("empty", Text(N_("{name}() devolvió un nn.Sequential vacío."), name=name))
    return out


def _fmt(v):
    if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]:
        return str(v[0])
    if isinstance(v, tuple):
        return "(" + ", ".join(map(str, v)) + ")"
    return repr(v) if isinstance(v, str) else str(v)


def _size(shape):
    """(1, 6, 28, 28) -> "28x28" (the spatial size of a feature map or image)."""
    return "x".join(str(d) for d in shape[-2:])


def _type_hint(name, pos, got, want):
    """A hint for a layer of class `got` at position `pos` (1-based) where `want` belongs."""
    if got in ("Softmax", "LogSoftmax"):
        return Text(N_(" El modelo tiene que devolver logits: Softmax ya está dentro de la pérdida "
                       "(nn.CrossEntropyLoss); quita esa capa."))
    other = {"lenet": "lenet_modern", "lenet_modern": "lenet"}[name]
    theirs = LENETS[other].kinds
    if pos > len(theirs) or theirs[pos - 1] != got or got == want:
        return Text()
    if name == "lenet_modern":      # the original LeNet's layer where the modern one differs
        return Text(N_(" La versión moderna usa {want} en lugar de {got}."), want=want, got=got)
    original, modern = LENETS["lenet"].kinds, LENETS["lenet_modern"].kinds   # conv, act, pool
    return Text(N_(" lenet() es la LeNet original: {activation} y {pool} ({modern_activation} y "
                   "{modern_pool} son de lenet_modern())."),
                activation=original[1], pool=original[2], modern_activation=modern[1],
                modern_pool=modern[2])


def _param_hint(name, i, kind, key, got, want):
    net = LENETS[name]
    if kind == "Conv2d" and key == "padding" and i == 1:
        conv = net.layers[0][1]
        return Text(N_(" La primera convolución necesita padding={padding} para que la salida siga "
                       "siendo de {size} (con un kernel de {kernel} y sin padding queda de "
                       "{unpadded})."),
                    padding=conv["padding"], size=_size(net.input_shape),
                    kernel=_size((conv["kernel_size"],) * 2),
                    unpadded=_size(net.changed(0, padding=0).shapes()[0]))
    if kind == "Linear" and key == "out_features" and want == N_CLASSES:
        return Text(N_(" Fashion-MNIST tiene {n} clases: la última capa devuelve {n} logits."),
                    n=N_CLASSES)
    if kind == "Conv2d" and key in ("in_channels", "out_channels"):
        first, second = (hp for kind_, hp in net.layers if kind_ == "Conv2d")
        return Text(N_(" LeNet usa {first} canales en la primera convolución y {second} en la "
                       "segunda (la entrada tiene {input} canal)."),
                    first=first["out_channels"], second=second["out_channels"],
                    input=first["in_channels"])
    return Text()


def compare_with_contract(name, layers):
    """Raise ModelRejected explaining the first difference with EXPECTED[name]."""
    want = EXPECTED[name]
    gk, wk = [k for k, *_ in layers], [k for k, _ in want]
    if gk != wk:
        for i in range(min(len(gk), len(wk))):
            if gk[i] != wk[i]:
                pos = i + 1
                if gk[i + 1:i + 1 + len(wk) - i] == wk[i:] or (gk[i + 1:] and gk[i + 1:] == wk[i:]):
                    raise ModelRejected("extra_layer", Text(
                        N_("{name}(): sobra la capa {pos} ({layer})."), name=name, pos=pos,
                        layer=gk[i]) + _type_hint(name, pos, gk[i], wk[i]))
                if gk[i:] == wk[i + 1:]:
                    raise ModelRejected("missing_layer", Text(
                        N_("{name}(): falta una capa {layer} en la posición {pos}."),
                        name=name, layer=wk[i], pos=pos))
                raise ModelRejected("wrong_layer", Text(
                    N_("{name}(): la capa {pos} es {got}; se esperaba {want}."),
                    name=name, pos=pos, got=gk[i], want=wk[i]) + _type_hint(name, pos, gk[i], wk[i]))
        if len(gk) > len(wk):
            last = LENETS[name].layers[-1][1]
            raise ModelRejected("extra_layer", Text(
                N_("{name}(): sobran capas al final ({extra}); la red termina en "
                   "Linear({inputs}, {outputs})."),
                name=name, extra=", ".join(gk[len(wk):]), inputs=last["in_features"],
                outputs=last["out_features"]) + _type_hint(name, len(wk) + 1, gk[len(wk)], ""))
        raise ModelRejected("missing_layer", Text(
            N_("{name}(): faltan capas al final ({missing})."),
            name=name, missing=", ".join(wk[len(gk):])))
    shapes = LENETS[name].shapes()
    for i, ((kind, hp, _raw, lazy), (_, whp)) in enumerate(zip(layers, want), start=1):
        diffs = []
        for key, value in whp.items():
            mine = hp.get(key)
            if lazy and key in ("in_channels", "in_features") and mine in (0, None):
                continue  # inferred by the lazy layer
            if mine != value:
                diffs.append((key, mine, value))
        if diffs:
            raise ModelRejected("wrong_hparam", Text(
                N_("{name}(): la capa {i} ({kind}) tiene {got}; se esperaba {expected} (su salida "
                   "debe tener forma {shape} para una imagen de {image})."),
                name=name, i=i, kind=kind, got=", ".join(f"{k}={_fmt(m)}" for k, m, _ in diffs),
                expected=", ".join(f"{k}={_fmt(v)}" for k, _, v in diffs), shape=shapes[i - 1][1:],
                image="x".join(map(str, LENETS[name].input_shape[1:])))
                + _param_hint(name, i, kind, *diffs[0]))


