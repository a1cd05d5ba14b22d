"""Trusted LeNet training check (the accuracy threshold of ps5_lenet).

The student's ``lenet()`` / ``lenet_modern()`` never train in the sandbox. The worker describes
the returned nn.Sequential as data (probe ``describe_model``, autograder/sandboxed/worker/probes_model.py);
this module, in the trusted process:

1. accepts only layers whose class is a whitelisted ``torch.nn`` class (custom modules are
   refused with a clear message and no training points), except that a custom parameterless
   layer the worker saw act as the identity is dropped and one it saw flatten becomes nn.Flatten
   (autograder/training/layer_behaviour.py: d2l's first-edition ``Reshape``);
2. compares the description with the contract's architecture (COURSE.md, LeNet-5, as stated in
   autograder/sandboxed/worker/lenet_contract.py), layer by layer, and explains the first difference
   (extra/missing/wrong layer, wrong hyperparameter);
3. rebuilds the model from ``torch.nn`` (never from the student's objects or weights), checks the
   output shape of every layer on the contract's input and its parameter count;
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

from autograder.text.i18n import N_, tr
from autograder.training.layer_behaviour import standard_model_layers
from autograder.sandboxed.worker.lenet_contract import LENETS, N_CLASSES
from cursocnn import data as cdata
from cursocnn import training

MODELS = ("lenet", "lenet_modern")
INPUT_SHAPE = LENETS["lenet"].input_shape
N_PARAMS = LENETS["lenet"].n_params        # lenet_modern has the same count
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


class Text:
    """Student-facing text whose language is chosen when it is shown: catalogue messages (marked
    with N_) with their fields, and literal pieces (separators, numbers already formatted)."""

    def __init__(self, message: str = "", /, **fields):
        self.parts = ((message, fields),) if message else ()

    def __add__(self, other: "Text | str") -> "Text":
        joined = Text()
        joined.parts = self.parts + (other.parts if isinstance(other, Text) else (other,))
        return joined

    def __radd__(self, other: str) -> "Text":
        joined = Text()
        joined.parts = (other,) + self.parts
        return joined

    def render(self, lang: str | None = "es") -> str:
        return "".join(part if isinstance(part, str) else tr(lang, part[0], **part[1])
                       for part in self.parts)


class ModelRejected(Exception):
    """The described model cannot be trained by the check; carries the student-facing text."""

    def __init__(self, code, text: Text):
        super().__init__(text.render("en"))
        self.code, self.text = code, text

    def message(self, lang="es"):
        return self.text.render(lang)


@dataclass
class CheckResult:
    name: str
    ok: bool
    stage: str                      # "structure" | "training"
    text: Text | str
    device: str = "cpu"
    recipe: str = "cpu"
    accuracy: float | None = None
    threshold: float | None = None
    seconds: float | None = None
    history: dict = field(default_factory=dict)
    code: str | None = None

    def message(self, lang="es"):
        return self.text.render(lang) if isinstance(self.text, Text) else str(self.text)


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


def _layers(description, name):
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


def _miss_message(name, acc, bar, recipe, history) -> Text:
    losses = history.get("train_loss") or []
    curve = ", ".join(f"{a:.3f}" for a in history.get("test_acc") or [] if a is not None)
    text = Text(N_("{name}(): después de entrenar con la receta del corrector ({recipe}: {epochs} "
                   "épocas, lotes de {batch_size}, Adam lr={lr:g}) la exactitud en las 10.000 "
                   "imágenes de prueba fue {acc:.3f}; el mínimo es {bar:.3f}."),
                name=name, recipe=recipe.name, epochs=recipe.epochs, batch_size=recipe.batch_size,
                lr=recipe.lr, acc=acc, bar=bar)
    text += "\n" + Text(N_("Exactitud por época: {curve}."), curve=curve) + "\n"
    if any(not math.isfinite(x) for x in losses):
        text += Text(N_("La pérdida se volvió NaN/infinita: el entrenamiento divergió.")) + "\n"
    return text + Text(N_(
        "Causas probables: la arquitectura coincide con la del enunciado, así que el corrector la "
        "entrenó desde cero igual que a la solución; revisa que no haya una diferencia sutil (orden "
        "de las capas, activación después de la última Linear, padding). El umbral está tres "
        "desviaciones estándar por debajo de la media de la solución: si tu modelo es idéntico, "
        "avisa al equipo docente."))


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

    def put(self, key, accuracy, history, seconds, lang="es") -> None:
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
            _log(tr(lang, "no se pudo guardar en la caché de entrenamiento {folder}: {error}",
                    folder=self.folder, error=exc))

    @contextlib.contextmanager
    def lock(self, key, lang="es"):
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
                _log(tr(lang, "otra calificación está entrenando el mismo modelo; esperando su "
                              "resultado"))
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


#: Also append the progress lines, with the time, to this file (a record of a long run; under
#: `nbgrader autograde` the lines also reach nbgrader's stderr, relayed by nbgrader_snapshot).
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


def _train_with_progress(model, name, label, device, seed, recipe, progress, lang="es"):
    """train_reference_like with the progress the caller asked for:
    False silent, True fit's own bar (current stderr), "auto" bar or log lines on the real stderr."""
    if progress != "auto":
        return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                    progress=bool(progress))
    who = f"{label}: " if label else ""
    _log(who + tr(lang, "{name}: entrenando con la receta {recipe} ({epochs} épocas, lotes de "
                        "{batch_size}) en {device}; el resultado se guarda para las próximas "
                        "pasadas", name=name, recipe=recipe.name, epochs=recipe.epochs,
                  batch_size=recipe.batch_size, device=device))
    if _interactive():
        with _real_stderr():
            return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                        progress=True)
    started = time.perf_counter()

    def log_epoch(epoch, history):
        acc = history["test_acc"][-1]
        acc_text = tr(lang, ", exactitud en prueba {acc:.3f}", acc=acc) if acc is not None else ""
        _log(who + tr(lang, "{name}: época {epoch}/{epochs}{accuracy} ({seconds:.0f} s)", name=name,
                      epoch=epoch + 1, epochs=recipe.epochs, accuracy=acc_text,
                      seconds=time.perf_counter() - started))
        return False

    return train_reference_like(model, device=device, seed=seed, recipe=recipe, progress=False,
                                callback=log_epoch)


def check_description(name, description, device="auto", seed=SEED, progress=False,
                      cache: TrainingCache | None = None, label: str = "",
                      lang: str = "es") -> CheckResult:
    """The whole check from a description (the probe's output).

    cache: a TrainingCache to reuse (and store) the training result of an identical model;
    progress: False, True or "auto" (see _train_with_progress); label names the submission in
    the log lines, written in `lang` (the result's text is rendered later, in any language)."""
    device = training.resolve_device(device)
    recipe = training.recipe_for(device)
    try:
        model = build_checked(name, description, seed=seed)
    except ModelRejected as rej:
        text = rej.text + "\n" + Text(N_("(Sin una LeNet reconocible no entrenamos el modelo: 0 "
                                         "puntos de entrenamiento.)"))
        return CheckResult(name, False, "structure", text, device=str(device), recipe=recipe.name,
                           code=rej.code)
    key = None
    data = data_fingerprint() if cache is not None else None
    if cache is not None and data is not None:
        key = TrainingCache.key(_layers(description, name), recipe, seed, device, data)
    with cache.lock(key, lang) if key else contextlib.nullcontext():
        entry = cache.get(key) if key else None
        if entry is not None:
            acc, history, seconds = entry["accuracy"], dict(entry["history"]), entry["seconds"]
            history.update(device=str(device), recipe=recipe.name, cached=True)
            if progress == "auto":
                _log((label + ": " if label else "")
                     + tr(lang, "{name}: resultado de entrenamiento reutilizado de {folder} "
                                "(exactitud {acc:.3f}; --force reentrena)",
                          name=name, folder=cache.folder, acc=acc))
        else:
            start = time.perf_counter()
            acc, history = _train_with_progress(model, name, label, device, seed, recipe, progress,
                                                lang)
            seconds = time.perf_counter() - start
            if key:
                cache.put(key, acc, history, seconds, lang)
    bar = THRESHOLDS[recipe.name][name]
    ok = acc >= bar
    if ok:
        text = Text(N_("{name}(): exactitud en prueba {acc:.3f} (mínimo {bar:.3f}) tras {epochs} "
                       "épocas ({recipe})."),
                    name=name, acc=acc, bar=bar, epochs=recipe.epochs, recipe=recipe.name)
    else:
        text = _miss_message(name, acc, bar, recipe, history)
    return CheckResult(name, ok, "training", text, device=str(device), recipe=recipe.name,
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


def warm_cache(device="auto", cache: TrainingCache | None = None, seed=SEED,
               lang="es") -> list[CheckResult]:
    """Train the reference solution's LeNets into the cache, so that every submission whose
    models equal the contract's (all correct ones: the key is the rebuilt architecture) is
    graded without training. Trusted code only: the reference runs in this process."""
    from reference import ps5_lenet as ref

    from autograder.sandboxed.worker.probes_model import describe_model

    cache = cache or default_cache()
    if cache is None:
        raise SystemExit(f"training cache disabled ({ENV_CACHE}=off): nothing to warm")
    return [check_description(name, describe_model(vars(ref), name), device=device, seed=seed,
                              progress="auto", cache=cache, label=tr(lang, "referencia"),
                              lang=lang)
            for name in MODELS]


def _main(argv=None) -> int:
    """`python -m autograder.training.check warm [--device auto|cpu|cuda]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.training.check")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("warm", help="train the reference LeNets into the training cache")
    w.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args(argv)
    results = warm_cache(args.device)
    for result in results:
        print(result.message("en"))
    return 0 if all(r.ok for r in results) else 1   # the reference below its bar: look into it


if __name__ == "__main__":
    sys.exit(_main())
