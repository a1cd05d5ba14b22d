"""Trusted LeNet training check (the accuracy threshold of ps5_lenet).

The student's ``lenet()`` / ``lenet_modern()`` never train in the sandbox. The worker describes
the returned nn.Sequential as data (probe ``describe_model``, autograder/worker/probes_model.py);
this module, in the trusted process:

1. accepts only layers whose class is a whitelisted ``torch.nn`` class (custom modules are
   refused with a clear message and no training points), except that a custom parameterless
   layer the worker saw act as the identity is dropped and one it saw flatten becomes nn.Flatten
   (autograder/layer_behaviour.py: d2l's first-edition ``Reshape``);
2. compares the description with the contract's architecture (COURSE.md, LeNet-5), layer by
   layer, and explains the first difference (extra/missing/wrong layer, wrong hyperparameter);
3. rebuilds the model from ``torch.nn`` (never from the student's objects or weights), checks the
   output shape of every layer on a 1x1x28x28 input and the 61,706 parameters;
4. initialises it (fixed seed, Xavier-uniform), trains it with the grader's recipe for the
   device (cursocnn.training.CPU_RECIPE / GPU_RECIPE) on the 60,000 training images and measures
   accuracy on the 10,000 test images; compares with THRESHOLDS (docs/benchmarks.md).

Because the rebuilt model must equal the contract's, a bigger model cannot buy accuracy.
Imports only torch, torchvision (through cursocnn.data) and the standard library.

Training results are cached on disk (TrainingCache): the trained model depends only on the
rebuilt architecture, the recipe, the seed, the device and the data, so every later grading pass
of any submission with the same LeNet reuses the result instead of training again. While a model
trains, a progress bar (interactive terminal) or one plain line per epoch (logs, nbgrader) goes
to the real stderr.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from autograder.layer_behaviour import standard_model_layers
from cursocnn import data as cdata
from cursocnn import training

MODELS = ("lenet", "lenet_modern")
INPUT_SHAPE = (1, 1, 28, 28)
N_PARAMS = 61_706
SEED = 20240

#: Test-accuracy bars per recipe (docs/benchmarks.md "Training" has the runs behind them).
#: cpu: measured, below mean - 3 sigma of the reference over 10 seeds (lenet_modern: mean 0.8868,
#:      sd 0.0045 -> 0.8732; lenet: mean 0.8392, sd 0.0049 -> 0.8244), rounded down.
#: gpu: PROVISIONAL, not measured on a GPU (none was available): above the course's published
#:      figures (0.860 / 0.747-0.779) and the CPU bars, ~0.03 below one run of the GPU recipe
#:      executed on the CPU (0.904 / 0.861). Re-measure with bench/train_bench.py on a GPU.
THRESHOLDS = {
    "cpu": {"lenet": 0.82, "lenet_modern": 0.87},
    "gpu": {"lenet": 0.83, "lenet_modern": 0.875},
}

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

_CONV1 = ("Conv2d", dict(in_channels=1, out_channels=6, kernel_size=(5, 5), stride=(1, 1),
                         padding=(2, 2), dilation=(1, 1), groups=1, bias=True, padding_mode="zeros"))
_CONV2 = ("Conv2d", dict(in_channels=6, out_channels=16, kernel_size=(5, 5), stride=(1, 1),
                         padding=(0, 0), dilation=(1, 1), groups=1, bias=True, padding_mode="zeros"))
_AVG = ("AvgPool2d", dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False,
                          divisor_override=None))
_MAX = ("MaxPool2d", dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                          ceil_mode=False, return_indices=False))
_FLAT = ("Flatten", dict(start_dim=1, end_dim=-1))


def _lin(i, o):
    return ("Linear", dict(in_features=i, out_features=o, bias=True))


def _arch(act, pool):
    a = (act, {})
    return [_CONV1, a, pool, _CONV2, a, pool, _FLAT, _lin(400, 120), a, _lin(120, 84), a, _lin(84, 10)]


#: The contract's architectures (COURSE.md section 13), with normalised hyperparameters.
EXPECTED = {"lenet": _arch("Sigmoid", _AVG), "lenet_modern": _arch("ReLU", _MAX)}
#: Output shapes (without the batch dimension) for a 1x1x28x28 input.
EXPECTED_SHAPES = [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
                   (400,), (120,), (120,), (84,), (84,), (10,)]


class ModelRejected(Exception):
    """The described model cannot be trained by the check; carries es/en messages."""

    def __init__(self, code, es, en):
        super().__init__(en)
        self.code, self.es, self.en = code, es, en

    def message(self, lang="es"):
        return self.en if lang == "en" else self.es


@dataclass
class CheckResult:
    name: str
    ok: bool
    stage: str                      # "structure" | "training"
    message_es: str
    message_en: str
    device: str = "cpu"
    recipe: str = "cpu"
    accuracy: float | None = None
    threshold: float | None = None
    seconds: float | None = None
    history: dict = field(default_factory=dict)
    code: str | None = None

    def message(self, lang="es"):
        return self.message_en if lang == "en" else self.message_es


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
        out = dict(kernel_size=k, stride=stride, padding=_pair(hp.get("padding", 0)),
                   ceil_mode=hp.get("ceil_mode", False))
        if kind == "AvgPool2d":
            out["divisor_override"] = hp.get("divisor_override")
        else:
            out["dilation"] = _pair(hp.get("dilation", 1))
            out["return_indices"] = hp.get("return_indices", False)
        return out
    if kind == "Flatten":
        start, end = hp.get("start_dim", 1), hp.get("end_dim", -1)
        return dict(start_dim=start, end_dim=end)
    return {}  # activations: inplace etc. do not change the function


def _layers(description, name):
    """Validate the probe's description; -> [(kind, normalised hp, raw hp, lazy_unmaterialised)]."""
    kind = description.get("kind") if isinstance(description, dict) else None
    if kind != "sequential":
        t = description.get("type", "?") if isinstance(description, dict) else "?"
        if kind == "missing":
            raise ModelRejected("missing", f"No encontramos la función {name} en tu entrega.",
                                f"We could not find the function {name} in your submission.")
        raise ModelRejected(
            "not_sequential",
            f"{name}() tiene que devolver un nn.Sequential de capas de torch.nn; devolvió {t}. "
            f"El corrector solo puede entrenar modelos que describe capa por capa.",
            f"{name}() must return an nn.Sequential of torch.nn layers; it returned {t}. "
            f"The grader can only train models it can describe layer by layer.")
    raw_layers = description.get("layers")
    if not isinstance(raw_layers, list) or not all(isinstance(x, dict) for x in raw_layers) \
            or not all(isinstance(x.get("hparams", {}), dict) for x in raw_layers):
        raise ModelRejected("malformed", f"No pudimos describir el modelo que devuelve {name}().",
                            f"We could not describe the model {name}() returns.")
    raw_layers = standard_model_layers(raw_layers)
    out = []
    for i, layer in enumerate(raw_layers, start=1):
        t, module = str(layer.get("type")), str(layer.get("module", ""))
        if t not in WHITELIST or not module.startswith("torch.nn.modules.") \
                or layer.get("n_children"):
            raise ModelRejected(
                "custom_layer",
                f"La capa {i} de {name}() es {t} (definida en {module or '?'}), que no es una capa "
                f"estándar de torch.nn que el corrector sepa reconstruir. Usá solo capas de torch.nn "
                f"(nn.Conv2d, nn.Linear, nn.Sigmoid/nn.ReLU, nn.AvgPool2d/nn.MaxPool2d, nn.Flatten) "
                f"dentro de un nn.Sequential. Sin eso no podemos entrenar tu modelo ni darte los "
                f"puntos de entrenamiento.",
                f"Layer {i} of {name}() is {t} (defined in {module or '?'}), not a standard "
                f"torch.nn layer the grader can rebuild. Use only torch.nn layers (nn.Conv2d, "
                f"nn.Linear, nn.Sigmoid/nn.ReLU, nn.AvgPool2d/nn.MaxPool2d, nn.Flatten) inside an "
                f"nn.Sequential. Otherwise we cannot train your model nor award the training points.")
        hp = layer.get("hparams") or {}
        base = LAZY.get(t, t)
        out.append((base, _norm(base, hp), hp, t in LAZY))
    if not out:
        raise ModelRejected("empty", f"{name}() devolvió un nn.Sequential vacío.",
                            f"{name}() returned an empty nn.Sequential.")
    return out


def _fmt(v):
    if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]:
        return str(v[0])
    if isinstance(v, tuple):
        return "(" + ", ".join(map(str, v)) + ")"
    return repr(v) if isinstance(v, str) else str(v)


def _type_hint(name, got, want):
    es = en = ""
    if got in ("Softmax", "LogSoftmax"):
        es = (" El modelo tiene que devolver logits: Softmax ya está dentro de la pérdida "
              "(nn.CrossEntropyLoss); quitá esa capa.")
        en = (" The model must return logits: Softmax is already inside the loss "
              "(nn.CrossEntropyLoss); remove that layer.")
    elif name == "lenet_modern" and got == "Sigmoid" and want == "ReLU":
        es, en = (" La versión moderna usa ReLU en lugar de Sigmoid.",
                  " The modern version uses ReLU instead of Sigmoid.")
    elif name == "lenet_modern" and got == "AvgPool2d" and want == "MaxPool2d":
        es, en = (" La versión moderna usa MaxPool2d en lugar de AvgPool2d.",
                  " The modern version uses MaxPool2d instead of AvgPool2d.")
    elif name == "lenet" and (got, want) in (("ReLU", "Sigmoid"), ("MaxPool2d", "AvgPool2d")):
        es, en = (" lenet() es la LeNet original: Sigmoid y AvgPool2d (ReLU y MaxPool2d son de "
                  "lenet_modern()).",
                  " lenet() is the original LeNet: Sigmoid and AvgPool2d (ReLU and MaxPool2d "
                  "belong to lenet_modern()).")
    return es, en


def _param_hint(name, i, kind, key, got, want):
    if kind == "Conv2d" and key == "padding" and i == 1:
        return (" La primera convolución necesita padding=2 para que la salida siga siendo de "
                "28x28 (con un kernel de 5x5 y sin padding queda de 24x24).",
                " The first convolution needs padding=2 so the output stays 28x28 (a 5x5 kernel "
                "without padding gives 24x24).")
    if kind == "Linear" and key == "out_features" and want == 10:
        return (" Fashion-MNIST tiene 10 clases: la última capa devuelve 10 logits.",
                " Fashion-MNIST has 10 classes: the last layer returns 10 logits.")
    if kind == "Conv2d" and key in ("in_channels", "out_channels"):
        return (" LeNet usa 6 canales en la primera convolución y 16 en la segunda (la entrada "
                "tiene 1 canal).",
                " LeNet uses 6 channels in the first convolution and 16 in the second (the input "
                "has 1 channel).")
    return "", ""


def compare_with_contract(name, layers):
    """Raise ModelRejected explaining the first difference with EXPECTED[name]."""
    want = EXPECTED[name]
    gk, wk = [k for k, *_ in layers], [k for k, _ in want]
    if gk != wk:
        for i in range(min(len(gk), len(wk))):
            if gk[i] != wk[i]:
                pos = i + 1
                if gk[i + 1:i + 1 + len(wk) - i] == wk[i:] or (gk[i + 1:] and gk[i + 1:] == wk[i:]):
                    es_h, en_h = _type_hint(name, gk[i], wk[i])
                    raise ModelRejected(
                        "extra_layer",
                        f"{name}(): sobra la capa {pos} ({gk[i]}).{es_h}",
                        f"{name}(): layer {pos} ({gk[i]}) should not be there.{en_h}")
                if gk[i:] == wk[i + 1:]:
                    raise ModelRejected(
                        "missing_layer",
                        f"{name}(): falta una capa {wk[i]} en la posición {pos}.",
                        f"{name}(): a {wk[i]} layer is missing at position {pos}.")
                es_h, en_h = _type_hint(name, gk[i], wk[i])
                raise ModelRejected(
                    "wrong_layer",
                    f"{name}(): la capa {pos} es {gk[i]}; se esperaba {wk[i]}.{es_h}",
                    f"{name}(): layer {pos} is {gk[i]}; expected {wk[i]}.{en_h}")
        if len(gk) > len(wk):
            extra = ", ".join(gk[len(wk):])
            es_h, en_h = _type_hint(name, gk[len(wk)], "")
            raise ModelRejected(
                "extra_layer",
                f"{name}(): sobran capas al final ({extra}); la red termina en Linear(84, 10).{es_h}",
                f"{name}(): extra layers at the end ({extra}); the network ends with "
                f"Linear(84, 10).{en_h}")
        missing = ", ".join(wk[len(gk):])
        raise ModelRejected(
            "missing_layer", f"{name}(): faltan capas al final ({missing}).",
            f"{name}(): layers missing at the end ({missing}).")
    for i, ((kind, hp, _raw, lazy), (_, whp)) in enumerate(zip(layers, want), start=1):
        diffs = []
        for key, value in whp.items():
            mine = hp.get(key)
            if lazy and key in ("in_channels", "in_features") and mine in (0, None):
                continue  # inferred by the lazy layer
            if mine != value:
                diffs.append((key, mine, value))
        if diffs:
            got = ", ".join(f"{k}={_fmt(m)}" for k, m, _ in diffs)
            exp = ", ".join(f"{k}={_fmt(v)}" for k, _, v in diffs)
            es_h, en_h = _param_hint(name, i, kind, *diffs[0])
            shape = EXPECTED_SHAPES[i - 1]
            raise ModelRejected(
                "wrong_hparam",
                f"{name}(): la capa {i} ({kind}) tiene {got}; se esperaba {exp} (su salida debe "
                f"tener forma {shape} para una imagen de 1x28x28).{es_h}",
                f"{name}(): layer {i} ({kind}) has {got}; expected {exp} (its output must have "
                f"shape {shape} for a 1x28x28 image).{en_h}")


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
    X = torch.zeros(INPUT_SHAPE)
    with torch.no_grad():
        for i, layer in enumerate(model, start=1):
            try:
                X = layer(X)
            except Exception as exc:  # noqa: BLE001 - incompatible shapes between layers
                raise ModelRejected(
                    "shape_error",
                    f"{name}(): la capa {i} ({type(layer).__name__}) no acepta la salida de la "
                    f"anterior, de forma {tuple(X.shape)}: {exc}",
                    f"{name}(): layer {i} ({type(layer).__name__}) does not accept the previous "
                    f"output, of shape {tuple(X.shape)}: {exc}") from None
            if i <= len(EXPECTED_SHAPES) and tuple(X.shape[1:]) != EXPECTED_SHAPES[i - 1]:
                raise ModelRejected(
                    "wrong_shape",
                    f"{name}(): la salida de la capa {i} ({type(layer).__name__}) tiene forma "
                    f"{tuple(X.shape[1:])}; se esperaba {EXPECTED_SHAPES[i - 1]}.",
                    f"{name}(): the output of layer {i} ({type(layer).__name__}) has shape "
                    f"{tuple(X.shape[1:])}; expected {EXPECTED_SHAPES[i - 1]}.")
    n = sum(p.numel() for p in model.parameters())
    if n != N_PARAMS:
        raise ModelRejected(
            "wrong_params", f"{name}() tiene {n:,} parámetros; LeNet tiene {N_PARAMS:,}.",
            f"{name}() has {n:,} parameters; LeNet has {N_PARAMS:,}.")


def build_checked(name, description, seed=SEED) -> nn.Sequential:
    """Description -> the trusted, initialised model (raises ModelRejected before any training)."""
    if name not in EXPECTED:
        raise ValueError(f"unknown model {name!r}")
    layers = _layers(description, name)
    compare_with_contract(name, layers)
    torch.manual_seed(seed)
    model = rebuild(layers)
    check_shapes_and_params(name, model)  # also materialises lazy layers
    return training.xavier_init(model)


# ---------------------------------------------------------------------------------------------
# Training.

_DATA = {}


def dataset(device="cpu"):
    """((X_train, y_train), (X_test, y_test)) as tensors (cached per process)."""
    if "cpu" not in _DATA:
        _DATA["cpu"] = (cdata.load_tensors(True), cdata.load_tensors(False))
    return _DATA["cpu"]


def train_reference_like(model, device="auto", seed=SEED, recipe=None, progress=False,
                         callback=None):
    """Train an already initialised model with the grader's recipe; -> (accuracy, history)."""
    device = training.resolve_device(device)
    recipe = recipe or training.recipe_for(device)
    train, test = dataset()
    history = training.fit(model, train, test, recipe=recipe, device=device, seed=seed,
                           progress=progress, callback=callback)
    return history["test_acc"][-1], history


def threshold_for(name, device="auto"):
    return THRESHOLDS[training.recipe_for(device).name][name]


def _miss_message(name, acc, bar, recipe, history):
    losses = history.get("train_loss") or []
    curve = ", ".join(f"{a:.3f}" for a in history.get("test_acc") or [] if a is not None)
    nan = any(not math.isfinite(x) for x in losses)
    es = (f"{name}(): después de entrenar con la receta del corrector ({recipe.name}: "
          f"{recipe.epochs} épocas, lotes de {recipe.batch_size}, Adam lr={recipe.lr:g}) la "
          f"exactitud en las 10.000 imágenes de prueba fue {acc:.3f}; el mínimo es {bar:.3f}.\n"
          f"Exactitud por época: {curve}.\n")
    en = (f"{name}(): after training with the grader's recipe ({recipe.name}: {recipe.epochs} "
          f"epochs, batches of {recipe.batch_size}, Adam lr={recipe.lr:g}) the accuracy on the "
          f"10,000 test images was {acc:.3f}; the bar is {bar:.3f}.\n"
          f"Accuracy per epoch: {curve}.\n")
    if nan:
        es += "La pérdida se volvió NaN/infinita: el entrenamiento divergió.\n"
        en += "The loss became NaN/infinite: training diverged.\n"
    es += ("Causas probables: la arquitectura coincide con la del enunciado, así que el corrector "
           "la entrenó desde cero igual que a la solución; revisá que no haya una diferencia sutil "
           "(orden de las capas, activación después de la última Linear, padding). El umbral está "
           "tres desviaciones estándar por debajo de la media de la solución: si tu modelo es "
           "idéntico, avisá al equipo docente.")
    en += ("Likely causes: the architecture matches the contract, so the grader trained it from "
           "scratch like the reference; check for a subtle difference (layer order, an activation "
           "after the last Linear, padding). The bar is three standard deviations below the "
           "reference's mean: if your model is identical, tell the course staff.")
    return es, en


# ---------------------------------------------------------------------------------------------
# The training cache.

ENV_CACHE = "AUTOGRADER_TRAINING_CACHE"
#: Set by `autograder grade --force`: entries written before this Unix time are not reused.
ENV_CACHE_SINCE = "AUTOGRADER_TRAINING_CACHE_SINCE"
CACHE_FORMAT = 1
_OFF = ("off", "none", "0", "no")


def default_cache_dir() -> Path | None:
    """$AUTOGRADER_TRAINING_CACHE ("off" disables the cache), else
    $XDG_CACHE_HOME/cnn-autograder/training (default ~/.cache/cnn-autograder/training).
    A trusted-side folder: the sandbox mounts nothing of it, so student code cannot write it."""
    env = os.environ.get(ENV_CACHE)
    if env is not None and env.strip().lower() in _OFF:
        return None
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cnn-autograder" / "training"


def data_fingerprint() -> list | None:
    """Names, sizes and modification times of the Fashion-MNIST files training reads (None when
    they cannot be found: then nothing is cached)."""
    try:
        files = cdata.find_fashion_mnist()
    except Exception:  # noqa: BLE001 - DataNotFound, unreadable folder
        return None
    out = []
    for name in sorted(files):
        try:
            st = Path(files[name]).stat()
        except OSError:
            return None
        out.append([name, Path(files[name]).name, st.st_size, st.st_mtime_ns])
    return out


def _is_number(x, allow_none=False):
    """A JSON number (NaN/inf included: a diverged loss curve is a valid history)."""
    if x is None:
        return allow_none
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class TrainingCache:
    """One JSON file per trained model, named by the hash of what was trained.

    Entries are plain JSON validated on read (a damaged file is a miss, never an error);
    writes are atomic; a per-key lock makes parallel grading lanes train a model once (the
    second waits and then reads the first's result)."""

    def __init__(self, folder, since: float | None = None):
        self.folder = Path(folder)
        if since is None:
            try:
                since = float(os.environ.get(ENV_CACHE_SINCE) or 0)
            except ValueError:
                since = 0.0
        self.since = since

    @staticmethod
    def key(layers, recipe, seed, device, data) -> str:
        material = {
            "format": CACHE_FORMAT,
            "architecture": [[kind, {k: list(v) if isinstance(v, tuple) else v
                                     for k, v in sorted(hp.items())}, bool(lazy)]
                             for kind, hp, _raw, lazy in layers],
            "recipe": dataclasses.asdict(recipe), "seed": seed, "device": str(device),
            "data": data, "torch": torch.__version__,
        }
        text = json.dumps(material, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def _path(self, key):
        return self.folder / f"{key}.json"

    def get(self, key) -> dict | None:
        path = self._path(key)
        try:
            if path.is_symlink() or not path.is_file():
                return None
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT \
                or entry.get("key") != key:
            return None
        created, acc, hist = entry.get("created"), entry.get("accuracy"), entry.get("history")
        if not _is_number(created) or not math.isfinite(created) or created < self.since:
            return None
        if not _is_number(acc) or not 0.0 <= acc <= 1.0 or not isinstance(hist, dict):
            return None
        for k in ("train_loss", "train_acc", "test_acc", "seconds"):
            v = hist.get(k)
            if not isinstance(v, list) or not all(_is_number(x, allow_none=True) for x in v):
                return None
        return entry

    def put(self, key, accuracy, history, seconds) -> None:
        entry = {"format": CACHE_FORMAT, "key": key, "created": time.time(),
                 "accuracy": float(accuracy), "seconds": float(seconds),
                 "history": {k: list(history.get(k) or []) for k in
                             ("train_loss", "train_acc", "test_acc", "seconds")},
                 "device": str(history.get("device", "")), "recipe": history.get("recipe")}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, self._path(key))
        except OSError as exc:  # a read-only cache must not cost the student the result
            _log(f"no se pudo guardar en la caché de entrenamiento {self.folder}: {exc}")

    @contextlib.contextmanager
    def lock(self, key):
        """Exclusive per-key lock (no-op where the folder or fcntl is unavailable)."""
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            fh = open(self.folder / f".{key}.lock", "a")  # noqa: SIM115
        except (ImportError, OSError):
            yield
            return
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                _log("otra calificación está entrenando el mismo modelo; esperando su resultado")
                fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fh.close()


def default_cache() -> TrainingCache | None:
    folder = default_cache_dir()
    return TrainingCache(folder) if folder is not None else None


# ---------------------------------------------------------------------------------------------
# Progress: a bar on an interactive terminal, else one log line per epoch (both on the real
# stderr: the engine captures sys.stderr while the suite runs).


#: Also append the progress lines to this file (for routes whose stderr nobody sees: nbgrader
#: autograde runs the grader inside the kernel's hook, which keeps stderr away from the cells).
ENV_PROGRESS_LOG = "AUTOGRADER_PROGRESS_LOG"


def _log(message: str) -> None:
    line = f"[autograder] {message}"
    try:
        print(line, file=sys.__stderr__ or sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - logging must not fail grading
        pass
    path = os.environ.get(ENV_PROGRESS_LOG)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(time.strftime("%H:%M:%S ") + line + "\n")
        except OSError:
            pass


def _interactive() -> bool:
    try:
        return bool(sys.__stderr__ and sys.__stderr__.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _real_stderr():
    saved = sys.stderr
    sys.stderr = sys.__stderr__ or saved
    try:
        yield
    finally:
        sys.stderr = saved


def _train_with_progress(model, name, label, device, seed, recipe, progress):
    """train_reference_like with the progress the caller asked for:
    False silent, True fit's own bar (current stderr), "auto" bar or log lines on the real stderr."""
    if progress != "auto":
        return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                    progress=bool(progress))
    who = f"{label}: " if label else ""
    _log(f"{who}{name}: entrenando con la receta {recipe.name} ({recipe.epochs} épocas, lotes de "
         f"{recipe.batch_size}) en {device}; el resultado se guarda para las próximas pasadas")
    if _interactive():
        with _real_stderr():
            return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                        progress=True)
    started = time.perf_counter()

    def log_epoch(epoch, history):
        acc = history["test_acc"][-1]
        acc_text = f", exactitud en prueba {acc:.3f}" if acc is not None else ""
        _log(f"{who}{name}: época {epoch + 1}/{recipe.epochs}{acc_text} "
             f"({time.perf_counter() - started:.0f} s)")
        return False

    return train_reference_like(model, device=device, seed=seed, recipe=recipe, progress=False,
                                callback=log_epoch)


def check_description(name, description, device="auto", seed=SEED, progress=False,
                      cache: TrainingCache | None = None, label: str = "") -> CheckResult:
    """The whole check from a description (the probe's output).

    cache: a TrainingCache to reuse (and store) the training result of an identical model;
    progress: False, True or "auto" (see _train_with_progress); label names the submission in
    the log lines."""
    device = training.resolve_device(device)
    recipe = training.recipe_for(device)
    try:
        model = build_checked(name, description, seed=seed)
    except ModelRejected as rej:
        es = rej.es + ("\n(Sin una LeNet reconocible no entrenamos el modelo: 0 puntos de "
                       "entrenamiento.)")
        en = rej.en + "\n(Without a recognisable LeNet we do not train the model: no training points.)"
        return CheckResult(name, False, "structure", es, en, device=str(device),
                           recipe=recipe.name, code=rej.code)
    key = None
    data = data_fingerprint() if cache is not None else None
    if cache is not None and data is not None:
        key = TrainingCache.key(_layers(description, name), recipe, seed, device, data)
    with cache.lock(key) if key else contextlib.nullcontext():
        entry = cache.get(key) if key else None
        if entry is not None:
            acc, history, seconds = entry["accuracy"], dict(entry["history"]), entry["seconds"]
            history.update(device=str(device), recipe=recipe.name, cached=True)
            if progress == "auto":
                _log(f"{label + ': ' if label else ''}{name}: resultado de entrenamiento "
                     f"reutilizado de {cache.folder} (exactitud {acc:.3f}; --force reentrena)")
        else:
            start = time.perf_counter()
            acc, history = _train_with_progress(model, name, label, device, seed, recipe, progress)
            seconds = time.perf_counter() - start
            if key:
                cache.put(key, acc, history, seconds)
    bar = THRESHOLDS[recipe.name][name]
    ok = acc >= bar
    if ok:
        es = (f"{name}(): exactitud en prueba {acc:.3f} (mínimo {bar:.3f}) tras {recipe.epochs} "
              f"épocas ({recipe.name}).")
        en = (f"{name}(): test accuracy {acc:.3f} (bar {bar:.3f}) after {recipe.epochs} epochs "
              f"({recipe.name}).")
    else:
        es, en = _miss_message(name, acc, bar, recipe, history)
    return CheckResult(name, ok, "training", es, en, device=str(device), recipe=recipe.name,
                       accuracy=acc, threshold=bar, seconds=seconds, history=history,
                       code=None if ok else "below_threshold")


def describe(session, name, timeout=60.0):
    """Ask the worker (autograder.sandbox.Session or the suite's Student) for the description."""
    return session.call("describe_model", name, timeout=timeout)


def check(session, name, device="auto", seed=SEED, progress=False) -> CheckResult:
    """describe + check_description (StudentError/StudentCrash from the probe propagate)."""
    return check_description(name, describe(session, name), device=device, seed=seed,
                             progress=progress)


# ---------------------------------------------------------------------------------------------
# Warming the cache with the reference models (a Gradescope image, a course machine).


def warm_cache(device="auto", cache: TrainingCache | None = None, seed=SEED) -> list[CheckResult]:
    """Train the reference solution's LeNets into the cache, so that every submission whose
    models equal the contract's (all correct ones: the key is the rebuilt architecture) is
    graded without training. Trusted code only: the reference runs in this process."""
    from reference import ps5_lenet as ref

    from .worker.probes_model import describe_model

    cache = cache or default_cache()
    if cache is None:
        raise SystemExit(f"training cache disabled ({ENV_CACHE}=off): nothing to warm")
    return [check_description(name, describe_model(vars(ref), name), device=device, seed=seed,
                              progress="auto", cache=cache, label="referencia")
            for name in MODELS]


def _main(argv=None) -> int:
    """`python -m autograder.training_check warm [--device auto|cpu|cuda]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.training_check")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("warm", help="train the reference LeNets into the training cache")
    w.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args(argv)
    results = warm_cache(args.device)
    for result in results:
        print(result.message_en)
    return 0 if all(r.ok for r in results) else 1   # the reference below its bar: look into it


if __name__ == "__main__":
    sys.exit(_main())
