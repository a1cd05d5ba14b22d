"""Hidden suite of ps5_lenet (structure and loops): lenet (2 of its 4), lenet_modern (2 of its 5),
layer_shapes (2), accuracy (2), train_epoch (5), evaluate (4), lenet_wide (1), lenet_rgb (2).
The rest of lenet's (2) and lenet_modern's (3) points are the accuracy threshold after
training, in test_ps5_lenet_training.py.

The models are compared with the contract's LeNets (autograder/sandboxed/worker/lenet_contract.py): layer
classes, their hyperparameters, the output shape of every layer and the parameter count."""
import pytest
import torch

from autograder.sandboxed.worker import probes, probes_nets
from autograder.sandboxed.worker.lenet_contract import FASHION_MNIST_INPUT as INPUT
from autograder.sandboxed.worker.lenet_contract import LENETS, course_fields
from autograder.suites import generator, graded, randn
from autograder.text.feedback import as_number, fmt_value
from autograder.text.i18n import N_
from autograder.training.layer_behaviour import standard_model_layers, standard_net_layers
from reference import ps5_lenet as ref

pytestmark = pytest.mark.assignment("ps5_lenet")

REF_NS = vars(ref)


def contract_layers(name):
    """The contract's layers of name() as the checks compare them: (class, course fields, output
    shape for one contract input)."""
    net = LENETS[name]
    return [(kind, course_fields(kind, hp), shape) for (kind, hp), shape in zip(net.layers, net.shapes())]


def first_shape_with_padding(name, padding):
    """The first layer's output shape had name()'s first convolution this padding instead."""
    return LENETS[name].changed(0, padding=padding).shapes()[0]


def refuse_model(say, name, is_module, type_name):
    """name() did not return an nn.Sequential: say what it returned."""
    if not is_module:
        say.wrong("{name}() tiene que devolver un modelo nn.Sequential; devolvió {type}.",
                  name=name, type=type_name)
    say.wrong("{name}() devolvió un {type}; se esperaba un nn.Sequential con las capas en orden.",
              name=name, type=type_name)


def describe(student, say, name, input_shape=INPUT):
    """The student's name() run layer by layer on one input (probe describe_net)."""
    info = student.probe(name, "describe_net", name, input_shape, 0, timeout=30)
    if not info["is_module"] or not info["is_sequential"]:
        refuse_model(say, name, info["is_module"], info["type"])
    info["layers"] = standard_net_layers(info["layers"])
    return info


def compare_layers(say, name, got, kinds_diagnosis, field_diagnosis):
    """got: the student's [(class, course fields)] against the contract's name(). On the first
    difference, kinds_diagnosis(classes) or field_diagnosis(index, field, got, want) names the
    misconception (or None)."""
    want = contract_layers(name)
    g, w = [kind for kind, _ in got], [kind for kind, _, _ in want]
    if g != w:
        say.wrong("Las capas de {name}() no son las esperadas.\nSe esperaba: {want}\n"
                  "Tu modelo:    {got}", kinds_diagnosis(g), name=name, want=", ".join(w),
                  got=", ".join(g))
    for i, ((kind, mine), (_, theirs, _)) in enumerate(zip(got, want), start=1):
        for field, value in theirs.items():
            if mine.get(field) != value:
                say.wrong("En {name}(), la capa {i} ({kind}) tiene {field} = {got}; se esperaba "
                          "{want}.", field_diagnosis(i, field, mine.get(field), value), name=name,
                          i=i, kind=kind, field=field, got=fmt_value(mine.get(field)),
                          want=fmt_value(value))


def ends_in_softmax(classes):
    return "softmax_in_model" if classes and classes[-1] in ("Softmax", "LogSoftmax") else None


def lenet_kinds_diagnosis(name):
    """lenet() and lenet_modern() differ in their activation and pooling: the other one's there."""
    def diagnose(classes):
        if ends_in_softmax(classes):
            return "softmax_in_model"
        if name == "lenet_modern" and "Sigmoid" in classes:
            return "sigmoid_in_modern"
        if name == "lenet_modern" and "AvgPool2d" in classes:
            return "avgpool_in_modern"
        if name == "lenet" and ("ReLU" in classes or "MaxPool2d" in classes):
            return "relu_in_lenet"
        return None
    return diagnose


def first_padding_diagnosis(index, field, got, want):
    return "missing_padding" if (index == 1 and field == "padding") else None


def check_structure(student, say, name):
    """lenet() / lenet_modern(): the classes and hyperparameters of the layers a forward pass
    meets."""
    got = [(layer["torch_class"], layer["config"]) for layer in describe(student, say, name)["layers"]]
    compare_layers(say, name, got, lenet_kinds_diagnosis(name), first_padding_diagnosis)


def check_run(student, say, name, batch_message, shapes_diagnosis=lambda shapes: None):
    """Output shape of each layer for one contract input, a batch of 3 gives (3, 10), parameter
    count; shapes_diagnosis(student's [(class, shape)]) -> misconception key or None."""
    input_shape = LENETS[name].input_shape
    got = describe(student, say, name, input_shape)
    gs = [(layer["torch_class"], tuple(layer["shape"])) for layer in got["layers"]]
    ws = [(kind, shape) for kind, _, shape in contract_layers(name)]
    if gs != ws:
        say.wrong("Formas de salida de cada capa de {name}() con una entrada {input}:\n"
                  "Se esperaba: {want}\nTu modelo:    {got}", shapes_diagnosis(gs), name=name,
                  input=input_shape, want=fmt_value(ws), got=fmt_value(gs))
    if tuple(got["batch_output_shape"]) != (3, 10):
        say.wrong(batch_message, name=name, size="x".join(str(d) for d in input_shape[1:]),
                  shape=fmt_value(got["batch_output_shape"]))
    if got["n_params"] != LENETS[name].n_params:
        say.wrong("{name}() tiene {n:,} parámetros; se esperaban {want:,}.", name=name,
                  n=got["n_params"], want=LENETS[name].n_params)


# The batch check's two wordings: lenet()'s and lenet_modern()'s say why ten, the exercises' the size.
BATCH_OF_IMAGES = N_("Con un lote de 3 imágenes, {name}() devolvió la forma {shape}; se esperaba "
                     "(3, 10): un logit por clase.")
BATCH_OF_SIZED_IMAGES = N_("Con un lote de 3 imágenes de {size}, {name}() devolvió la forma "
                           "{shape}; se esperaba (3, 10).")


def check_lenet_shapes(student, say, name):
    def unpadded(shapes):
        return "missing_padding" if shapes and shapes[0][1] == first_shape_with_padding(name, 0) \
            else None
    check_run(student, say, name, BATCH_OF_IMAGES, unpadded)


def lenet_tests(name, structure_title):
    """lenet()'s and lenet_modern()'s two structural tests (1 point each): the layers in order, then
    the shape after every layer and the parameter count."""
    @graded(name, points=1, title=structure_title)
    def structure(student, say):
        check_structure(student, say, name)

    @graded(name, points=1,
            title=N_("forma de la salida de cada capa (1x28x28) y 61.706 parámetros"))
    def shapes_and_params(student, say):
        check_lenet_shapes(student, say, name)

    return structure, shapes_and_params


# pytest collects them in this order, as written
test_lenet_structure, test_lenet_shapes_and_params = lenet_tests(
    "lenet", N_("capas en orden (Conv2d, Sigmoid, AvgPool2d, ..., Linear)"))
test_lenet_modern_structure, test_lenet_modern_shapes_and_params = lenet_tests(
    "lenet_modern", N_("capas en orden, con ReLU y MaxPool2d"))


# -------------------------------------------------------------------------------------------
# The unit's exercises: a wider LeNet and a LeNet for CIFAR-10 (3x32x32). Their layers are first
# compared as data (probe describe_model: no forward pass, so a first convolution that keeps its
# padding is named even when the linear layers no longer fit), then run on the right input.


def _layer_summary(layer):
    """(class name, {field: value}) of a describe_model layer, fields as in the course."""
    hparams = dict(layer["hparams"])
    if hparams.get("padding") == "valid":
        hparams["padding"] = 0
    return layer["type"], course_fields(layer["type"], hparams)


def _normalise_config(config):
    config = dict(config)
    if config.get("padding") == "valid":
        config["padding"] = (0, 0)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}


def _model_layers(say, name, desc):
    kind = desc.get("kind")
    if kind in ("not_callable", "not_module", "not_sequential"):
        refuse_model(say, name, kind == "not_sequential", desc.get("type"))
    if kind != "sequential":
        say.wrong("No se pudo revisar el modelo de {name}() ({kind}).", name=name, kind=kind)
    if desc.get("materialise_error"):
        say.wrong("{name}() usa capas 'lazy' y falló al recibir una entrada de prueba: {error}",
                  name=name, error=desc["materialise_error"])
    return [_layer_summary(layer) for layer in standard_model_layers(desc["layers"])]


def check_layers_as_data(student, say, name, diagnose):
    """Layer classes and hyperparameters of the student's name() against the contract's;
    diagnose(index, field, got, want) -> misconception key or None."""
    input_shape = LENETS[name].input_shape
    desc = student.probe(name, "describe_model", name, input_shape, timeout=60)
    if desc.get("kind") == "not_sequential":
        # a subclass of nn.Sequential (describe_model describes plain ones only): read its
        # layers from a forward pass instead
        info = describe(student, say, name, input_shape)
        got = [(layer["torch_class"], _normalise_config(layer["config"])) for layer in info["layers"]]
    else:
        got = _model_layers(say, name, desc)
    compare_layers(say, name, got, ends_in_softmax, diagnose)


def _wide_diagnosis(index, field, got, want):
    if field in ("in", "out"):
        return "wide_sizes"
    return None


def _rgb_shapes_diagnosis(shapes):
    """The first convolution kept lenet_modern's padding."""
    kept = first_shape_with_padding("lenet_rgb", LENETS["lenet_modern"].layers[0][1]["padding"])
    return "rgb_padding" if shapes and shapes[0][1] == kept else None


def _rgb_diagnosis(index, field, got, want):
    if index == 1 and field == "in":
        return "rgb_in_channels"
    if index == 1 and field == "padding":
        return "rgb_padding"
    return None


@graded("lenet_wide", points=1,
        title=N_("capas de 20 y 50 canales y de 200 y 80 unidades; formas (1x28x28) y 292.660 "
                 "parámetros"))
def test_lenet_wide(student, say):
    check_layers_as_data(student, say, "lenet_wide", _wide_diagnosis)
    check_run(student, say, "lenet_wide", BATCH_OF_SIZED_IMAGES)


@graded("lenet_rgb", points=1,
        title=N_("capas en orden; la primera convolución recibe 3 canales y no lleva relleno"))
def test_lenet_rgb_structure(student, say):
    check_layers_as_data(student, say, "lenet_rgb", _rgb_diagnosis)


@graded("lenet_rgb", points=1,
        title=N_("forma de la salida de cada capa (3x32x32) y 62.006 parámetros"))
def test_lenet_rgb_shapes_and_params(student, say):
    check_run(student, say, "lenet_rgb", BATCH_OF_SIZED_IMAGES, _rgb_shapes_diagnosis)


# --------------------------------------------------------------------------------------------

SHAPE_NETS = [
    ([["Conv2d", [1, 4, 3], {"padding": 1}], ["ReLU", [], {}], ["MaxPool2d", [2], {}],
      ["Flatten", [], {}], ["Linear", [64, 10], {}]], (1, 1, 8, 8)),
    ([["Conv2d", [3, 2, [3, 5]], {}], ["Sigmoid", [], {}], ["AvgPool2d", [2], {"stride": 1}],
      ["Flatten", [], {}]], (2, 3, 9, 10)),
    ([[kind, [], hp] for kind, hp in LENETS["lenet"].layers], INPUT),
]


def _normalise_shapes(value):
    if not isinstance(value, (list, tuple)):
        return None
    out = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[0], str):
            return None
        shape = item[1]
        if isinstance(shape, torch.Tensor):
            shape = shape.tolist()
        if not isinstance(shape, (list, tuple)) or not all(type(s) is int for s in shape):
            return None
        out.append((item[0], tuple(shape)))
    return out


@graded("layer_shapes", points=2,
        title=N_("nombre y forma de salida de cada capa de varias redes"))
def test_layer_shapes(student, say):
    for spec, shape in SHAPE_NETS:
        got = student.probe("layer_shapes", "run_layer_shapes", spec, shape)["value"]
        want = ref.layer_shapes(probes_nets.build_net(spec), shape)
        layers = ", ".join(name for name, _, _ in spec)
        norm = _normalise_shapes(got)
        if norm is None:
            say.wrong("layer_shapes(net, {shape}) tiene que devolver una lista de pares (nombre de "
                      "la clase, tupla con la forma); devolvió {got}.\nRed: {layers}",
                      shape=shape, got=fmt_value(got), layers=layers)
        if norm != [(n, tuple(s)) for n, s in want]:
            say.wrong("layer_shapes(net, {shape}) no devolvió lo esperado.\nRed: {layers}\n"
                      "Se esperaba: {want}\nTu función:  {got}", shape=shape, layers=layers,
                      want=fmt_value(want), got=fmt_value(norm))


# --------------------------------------------------------------------------------------------

@graded("accuracy", points=2, title=N_("fracción de filas cuyo argmax coincide con y"))
def test_accuracy(student, say):
    g = generator(501)
    cases = []
    for rows, classes in [(8, 5), (5, 5), (10, 3), (6, 10)]:
        logits = randn(g, rows, classes)
        y = torch.randint(0, classes, (rows,), generator=g)
        y[: rows // 2] = logits[: rows // 2].argmax(1)  # some hits for sure
        cases.append((logits, y))
    logits = randn(g, 4, 10)
    cases.append((logits, logits.argmax(1)))
    for logits, y in cases:
        got = student.function("accuracy", logits, y)
        value = as_number(got)
        hits = float((logits.argmax(1) == y).sum())
        want = hits / len(y)
        call = f"accuracy(logits {tuple(logits.shape)}, y = {y.tolist()})"
        if value is not None and abs(value - want) <= 1e-6:
            continue
        key = None
        if value is not None:
            if abs(value - hits) < 1e-6:
                key = "accuracy_count"
            elif abs(value - 100 * want) < 1e-4:
                key = "accuracy_percent"
            elif logits.shape[0] == logits.shape[1] and \
                    abs(value - float((logits.argmax(0) == y).float().mean())) < 1e-6:
                key = "argmax_wrong_dim"
        say.wrong("{call} devolvió {got}; se esperaba {want:.4g} ({hits} aciertos de {n}).", key,
                  call=call, got=fmt_value(got), want=want, hits=int(hits), n=len(y))


# --------------------------------------------------------------------------------------------

LOOP_SPEC = [["Recorder", [], {}], ["Conv2d", [1, 2, 3], {}], ["ReLU", [], {}],
             ["Flatten", [], {}], ["Dropout", [0.3], {}], ["Linear", [32, 3], {}]]
N_BATCHES = 4


def loop_batches(seed):
    g = generator(seed)
    return [(randn(g, 8, 1, 6, 6), torch.randint(0, 3, (8,), generator=g)) for _ in range(N_BATCHES)]


def run_loop(student, fn, start_mode, seed):
    batches = loop_batches(seed)
    got = student.probe(fn, "run_loop", fn, LOOP_SPEC, batches, 0.1, seed, start_mode, timeout=30)
    want = probes.PROBES["run_loop"](REF_NS, fn, LOOP_SPEC, batches, 0.1, seed, start_mode)
    return got, want


def events(log, kind):
    return [e for e in log if e[0] == kind]


def returned_pair(say, fn, value):
    if isinstance(value, (list, tuple)) and len(value) == 2:
        nums = [as_number(v) for v in value]
        if all(n is not None for n in nums):
            return nums
    say.wrong("{fn} tiene que devolver una tupla (pérdida media, exactitud media); devolvió "
              "{got}.", fn=fn, got=fmt_value(value))


# what a mean is of -> how a wrong one is reported
MEAN_MESSAGES = {
    "loss": N_("{fn} devolvió {value:.6g} como la pérdida media; los {n} lotes dieron {shown}, cuyo "
               "promedio es {want:.6g}."),
    "accuracy": N_("{fn} devolvió {value:.6g} como la exactitud media; los {n} lotes dieron "
                   "{shown}, cuyo promedio es {want:.6g}."),
}


def check_means(say, fn, got):
    loss, acc = returned_pair(say, fn, got["value"])
    losses = [e[1] for e in events(got["log"], "loss")]
    accs = [e[3] for e in events(got["log"], "loss")]
    if len(losses) != N_BATCHES:
        say.wrong("{fn} calculó la pérdida {times} veces con {n} lotes; se esperaba una vez por "
                  "lote.", fn=fn, times=len(losses), n=N_BATCHES)
    for what, value, per_batch in (("loss", loss, losses), ("accuracy", acc, accs)):
        want = sum(per_batch) / len(per_batch)
        if abs(value - want) <= 1e-5 * max(1.0, abs(want)):
            continue
        key = None
        if abs(value - per_batch[-1]) <= 1e-5:
            key = "last_batch_only"
        elif abs(value - sum(per_batch)) <= 1e-4:
            key = "sum_not_mean"
        elif what == "accuracy" and abs(value - 100 * want) <= 1e-3:
            key = "accuracy_percent"
        say.wrong(MEAN_MESSAGES[what], key, fn=fn, value=value, n=N_BATCHES, want=want,
                  shown=", ".join(f"{v:.4f}" for v in per_batch))


def check_every_batch_ran(say, fn, forwards):
    if len(forwards) < N_BATCHES:
        say.wrong("{fn} pasó {n} lotes por el modelo; el loader tenía {total}.", fn=fn,
                  n=len(forwards), total=N_BATCHES)


@graded("train_epoch", points=3,
        title=N_("modo entrenamiento, zero_grad, backward y step en cada lote"))
def test_train_epoch_protocol(student, say):
    got, _ = run_loop(student, "train_epoch", "eval", 11)
    log = got["log"]
    forwards = events(log, "forward")
    check_every_batch_ran(say, "train_epoch", forwards)
    if not all(f[1] for f in forwards):
        say.wrong("train_epoch corrió el modelo en modo evaluación (le dimos un modelo en modo "
                  "eval).", "no_train_mode")
    if not all(f[2] for f in forwards):
        say.wrong("train_epoch corrió el modelo con los gradientes desactivados (torch.no_grad): "
                  "así no se puede entrenar.")
    calls = {"backward": (N_("Con {n} lotes, train_epoch llamó a backward {times} veces."),
                          "no_backward"),
             "step": (N_("Con {n} lotes, train_epoch llamó a optimizer.step() {times} veces."),
                      "no_step")}
    for kind, (message, key) in calls.items():
        if len(events(log, kind)) != N_BATCHES:
            say.wrong(message, key, n=N_BATCHES, times=len(events(log, kind)))
    stepped, clean = False, True
    for e in log:
        if e[0] == "zero_grad":
            clean = True
        elif e[0] == "step":
            stepped = True
        elif e[0] == "backward":
            if stepped and not clean:
                say.wrong("Entre un lote y el siguiente, train_epoch no puso los gradientes a cero "
                          "antes de backward.", "no_zero_grad")
            clean = False


@graded("train_epoch", points=2,
        title=N_("pesos finales y promedios de pérdida y exactitud por lote"))
def test_train_epoch_values(student, say):
    got, want = run_loop(student, "train_epoch", "train", 12)
    check_means(say, "train_epoch", got)
    for name, w in want["weights"].items():
        mine = got["weights"][name]
        if not torch.allclose(mine.double(), w.double(), rtol=1e-4, atol=1e-5):
            say.wrong("Después de una época con SGD (lr=0.1) sobre {n} lotes, los pesos del modelo "
                      "({name}) no son los esperados: cada lote tiene que hacer zero_grad, "
                      "forward, pérdida, backward y step una vez.", n=N_BATCHES, name=name)


@graded("evaluate", points=2, title=N_("modo evaluación, sin gradientes y sin cambiar los pesos"))
def test_evaluate_protocol(student, say):
    got, want = run_loop(student, "evaluate", "train", 13)
    forwards = events(got["log"], "forward")
    check_every_batch_ran(say, "evaluate", forwards)
    if any(f[1] for f in forwards):
        say.wrong("evaluate corrió el modelo en modo entrenamiento (le dimos un modelo en modo "
                  "train).", "no_eval_mode")
    if any(f[2] for f in forwards):
        say.wrong("evaluate corrió el modelo con los gradientes activados.", "grad_enabled_eval")
    changed = [n for n, w in want["weights"].items() if not torch.equal(got["weights"][n], w)]
    if events(got["log"], "backward") or changed:
        say.wrong("evaluate modificó los pesos del modelo o llamó a backward.", "optimizer_in_eval")


@graded("evaluate", points=2, title=N_("promedios de pérdida y exactitud por lote"))
def test_evaluate_values(student, say):
    got, want = run_loop(student, "evaluate", "eval", 14)
    check_means(say, "evaluate", got)
