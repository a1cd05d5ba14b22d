"""Hidden suite of ps5_lenet (structure and loops): lenet (2 of its 4), lenet_modern (2 of its 5),
layer_shapes (2), accuracy (2), train_epoch (5), evaluate (4), lenet_wide (1), lenet_rgb (2).
The rest of lenet's (2) and lenet_modern's (3) points are the accuracy threshold after
training, in test_ps5_lenet_training.py."""
import pytest
import torch

from autograder.feedback import as_number, fail, fmt_value
from autograder.layer_behaviour import standard_model_layers, standard_net_layers
from autograder.suites import generator, randn
from autograder.worker import probes
from autograder.worker.lenet_contract import FASHION_MNIST_INPUT as INPUT, LENETS, course_fields
from reference import ps5_lenet as ref

pytestmark = pytest.mark.assignment("ps5_lenet")

REF_NS = vars(ref)


def contract_layers(name):
    """The contract's layers of name() as the checks compare them: (class, course fields, output
    shape for one contract input)."""
    net = LENETS[name]
    return [(kind, course_fields(kind, hp), shape) for (kind, hp), shape in zip(net.layers, net.shapes())]


def unpadded_first_shape(name, padding=0):
    """The first layer's output shape had name()'s first convolution this padding instead."""
    return LENETS[name].changed(0, padding=padding).shapes()[0]


def describe(student, lang, name, input_shape=INPUT):
    info = student.probe(name, "describe_net", name, input_shape, 0, timeout=30)
    if not info["is_module"]:
        fail(lang, f"{name}() tiene que devolver un modelo nn.Sequential; devolvió {info['type']}.",
             f"{name}() must return an nn.Sequential model; it returned {info['type']}.")
    if not info["is_sequential"]:
        fail(lang, f"{name}() devolvió un {info['type']}; se esperaba un nn.Sequential con las capas "
                   f"en orden.",
             f"{name}() returned a {info['type']}; expected an nn.Sequential with the layers in "
             f"order.")
    info["layers"] = standard_net_layers(info["layers"])
    return info


def _classes(info):
    return [layer["torch_class"] for layer in info["layers"]]


def check_structure(student, lang, name):
    got, want = describe(student, lang, name), contract_layers(name)
    g, w = _classes(got), [kind for kind, _, _ in want]
    if g != w:
        key = None
        if g and g[-1] in ("Softmax", "LogSoftmax"):
            key = "softmax_in_model"
        elif name == "lenet_modern" and "Sigmoid" in g:
            key = "sigmoid_in_modern"
        elif name == "lenet_modern" and "AvgPool2d" in g:
            key = "avgpool_in_modern"
        elif name == "lenet" and ("ReLU" in g or "MaxPool2d" in g):
            key = "relu_in_lenet"
        fail(lang, f"Las capas de {name}() no son las esperadas.\nSe esperaba: {', '.join(w)}\n"
                   f"Tu modelo:    {', '.join(g)}",
             f"The layers of {name}() are not the expected ones.\nExpected:   {', '.join(w)}\n"
             f"Your model: {', '.join(g)}", key)
    for i, (lg, (kind, config, _)) in enumerate(zip(got["layers"], want), start=1):
        for field, value in config.items():
            mine = lg["config"].get(field)
            if mine != value:
                key = "missing_padding" if (i == 1 and field == "padding") else None
                fail(lang, f"En {name}(), la capa {i} ({kind}) tiene {field} = "
                           f"{fmt_value(mine)}; se esperaba {fmt_value(value)}.",
                     f"In {name}(), layer {i} ({kind}) has {field} = "
                     f"{fmt_value(mine)}; expected {fmt_value(value)}.", key)
    return got


def check_shapes(student, lang, name):
    got = describe(student, lang, name)
    gs = [(layer["torch_class"], tuple(layer["shape"])) for layer in got["layers"]]
    ws = [(kind, shape) for kind, _, shape in contract_layers(name)]
    if gs != ws:
        key = None
        if len(gs) > 0 and gs[0][1] == unpadded_first_shape(name):
            key = "missing_padding"
        fail(lang, f"Formas de salida de cada capa de {name}() con una entrada {INPUT}:\n"
                   f"Se esperaba: {fmt_value(ws)}\nTu modelo:    {fmt_value(gs)}",
             f"Output shape of each layer of {name}() for a {INPUT} input:\n"
             f"Expected:   {fmt_value(ws)}\nYour model: {fmt_value(gs)}", key)
    if tuple(got["batch_output_shape"]) != (3, 10):
        fail(lang, f"Con un lote de 3 imágenes, {name}() devolvió la forma "
                   f"{fmt_value(got['batch_output_shape'])}; se esperaba (3, 10): un logit por clase.",
             f"With a batch of 3 images, {name}() returned shape "
             f"{fmt_value(got['batch_output_shape'])}; expected (3, 10): one logit per class.")


def check_params(student, lang, name):
    got = describe(student, lang, name)
    want = LENETS[name].n_params
    if got["n_params"] != want:
        fail(lang, f"{name}() tiene {got['n_params']:,} parámetros; se esperaban {want:,}.",
             f"{name}() has {got['n_params']:,} parameters; expected {want:,}.")


@pytest.mark.points(1)
@pytest.mark.title(es="lenet: capas en orden (Conv2d, Sigmoid, AvgPool2d, ..., Linear)",
                   en="lenet: layers in order (Conv2d, Sigmoid, AvgPool2d, ..., Linear)")
def test_lenet_structure(student, lang):
    check_structure(student, lang, "lenet")


@pytest.mark.points(1)
@pytest.mark.title(es="lenet: forma de la salida de cada capa (1x28x28) y 61.706 parámetros",
                   en="lenet: output shape of each layer (1x28x28) and 61,706 parameters")
def test_lenet_shapes_and_params(student, lang):
    check_shapes(student, lang, "lenet")
    check_params(student, lang, "lenet")


@pytest.mark.points(1)
@pytest.mark.title(es="lenet_modern: capas en orden, con ReLU y MaxPool2d",
                   en="lenet_modern: layers in order, with ReLU and MaxPool2d")
def test_lenet_modern_structure(student, lang):
    check_structure(student, lang, "lenet_modern")


@pytest.mark.points(1)
@pytest.mark.title(es="lenet_modern: forma de la salida de cada capa (1x28x28) y 61.706 parámetros",
                   en="lenet_modern: output shape of each layer (1x28x28) and 61,706 parameters")
def test_lenet_modern_shapes_and_params(student, lang):
    check_shapes(student, lang, "lenet_modern")
    check_params(student, lang, "lenet_modern")


# -------------------------------------------------------------------------------------------
# The unit's exercises: a wider LeNet and a LeNet for CIFAR-10 (3x32x32). Their layers are first
# compared as data (probe describe_model: no forward pass, so a first convolution that keeps its
# padding is named even when the linear layers no longer fit), then run on the right input.

WIDE_INPUT = LENETS["lenet_wide"].input_shape
RGB_INPUT = LENETS["lenet_rgb"].input_shape


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


def _model_layers(lang, name, desc):
    kind = desc.get("kind")
    if kind in ("not_callable", "not_module"):
        fail(lang, f"{name}() tiene que devolver un modelo nn.Sequential; devolvió {desc.get('type')}.",
             f"{name}() must return an nn.Sequential model; it returned {desc.get('type')}.")
    if kind == "not_sequential":
        fail(lang, f"{name}() devolvió un {desc.get('type')}; se esperaba un nn.Sequential con las "
                   f"capas en orden.",
             f"{name}() returned a {desc.get('type')}; expected an nn.Sequential with the layers "
             f"in order.")
    if kind != "sequential":
        fail(lang, f"No se pudo revisar el modelo de {name}() ({kind}).",
             f"The model of {name}() could not be checked ({kind}).")
    if desc.get("materialise_error"):
        fail(lang, f"{name}() usa capas 'lazy' y falló al recibir una entrada de prueba: "
                   f"{desc['materialise_error']}",
             f"{name}() uses lazy layers and failed on a test input: {desc['materialise_error']}")
    return [_layer_summary(layer) for layer in standard_model_layers(desc["layers"])]


def check_layers_as_data(student, lang, name, input_shape, diagnose):
    """Layer classes and hyperparameters of the student's name() against the reference's;
    diagnose(index, field, got, want) -> misconception key or None."""
    desc = student.probe(name, "describe_model", name, input_shape, timeout=60)
    if desc.get("kind") == "not_sequential":
        # a subclass of nn.Sequential (describe_model describes plain ones only): read its
        # layers from a forward pass instead
        info = describe(student, lang, name, input_shape)
        got = [(layer["torch_class"], _normalise_config(layer["config"])) for layer in info["layers"]]
    else:
        got = _model_layers(lang, name, desc)
    want = [(kind, config) for kind, config, _ in contract_layers(name)]
    g, w = [kind for kind, _ in got], [kind for kind, _ in want]
    if g != w:
        key = "softmax_in_model" if g and g[-1] in ("Softmax", "LogSoftmax") else None
        fail(lang, f"Las capas de {name}() no son las esperadas.\nSe esperaba: {', '.join(w)}\n"
                   f"Tu modelo:    {', '.join(g)}",
             f"The layers of {name}() are not the expected ones.\nExpected:   {', '.join(w)}\n"
             f"Your model: {', '.join(g)}", key)
    for i, ((kind, mine), (_, theirs)) in enumerate(zip(got, want), start=1):
        for field, value in theirs.items():
            if mine.get(field) != value:
                fail(lang, f"En {name}(), la capa {i} ({kind}) tiene {field} = "
                           f"{fmt_value(mine.get(field))}; se esperaba {fmt_value(value)}.",
                     f"In {name}(), layer {i} ({kind}) has {field} = {fmt_value(mine.get(field))}; "
                     f"expected {fmt_value(value)}.", diagnose(i, field, mine.get(field), value))


def check_run(student, lang, name, input_shape, diagnose=lambda shapes: None):
    """Output shape of each layer for one input, a batch of 3 gives (3, 10), parameter count;
    diagnose(student's [(class, shape)]) -> misconception key or None."""
    got = describe(student, lang, name, input_shape)
    gs = [(layer["torch_class"], tuple(layer["shape"])) for layer in got["layers"]]
    ws = [(kind, shape) for kind, _, shape in contract_layers(name)]
    shown = "x".join(str(d) for d in input_shape[1:])
    if gs != ws:
        fail(lang, f"Formas de salida de cada capa de {name}() con una entrada {input_shape}:\n"
                   f"Se esperaba: {fmt_value(ws)}\nTu modelo:    {fmt_value(gs)}",
             f"Output shape of each layer of {name}() for a {input_shape} input:\n"
             f"Expected:   {fmt_value(ws)}\nYour model: {fmt_value(gs)}", diagnose(gs))
    if tuple(got["batch_output_shape"]) != (3, 10):
        fail(lang, f"Con un lote de 3 imágenes de {shown}, {name}() devolvió la forma "
                   f"{fmt_value(got['batch_output_shape'])}; se esperaba (3, 10).",
             f"With a batch of 3 images of {shown}, {name}() returned shape "
             f"{fmt_value(got['batch_output_shape'])}; expected (3, 10).")
    want = LENETS[name].n_params
    if got["n_params"] != want:
        fail(lang, f"{name}() tiene {got['n_params']:,} parámetros; se esperaban {want:,}.",
             f"{name}() has {got['n_params']:,} parameters; expected {want:,}.")


def _wide_diagnosis(index, field, got, want):
    if field in ("in", "out"):
        return "wide_sizes"
    return None


def _rgb_shapes_diagnosis(shapes):
    """The first convolution kept lenet_modern's padding."""
    kept = unpadded_first_shape("lenet_rgb", LENETS["lenet_modern"].layers[0][1]["padding"])
    return "rgb_padding" if shapes and shapes[0][1] == kept else None


def _rgb_diagnosis(index, field, got, want):
    if index == 1 and field == "in":
        return "rgb_in_channels"
    if index == 1 and field == "padding":
        return "rgb_padding"
    return None


@pytest.mark.points(1)
@pytest.mark.title(es="lenet_wide: capas de 20 y 50 canales y de 200 y 80 unidades; formas "
                      "(1x28x28) y 292.660 parámetros",
                   en="lenet_wide: layers of 20 and 50 channels and 200 and 80 units; shapes "
                      "(1x28x28) and 292,660 parameters")
def test_lenet_wide(student, lang):
    check_layers_as_data(student, lang, "lenet_wide", WIDE_INPUT, _wide_diagnosis)
    check_run(student, lang, "lenet_wide", WIDE_INPUT)


@pytest.mark.points(1)
@pytest.mark.title(es="lenet_rgb: capas en orden; la primera convolución recibe 3 canales y no "
                      "lleva relleno",
                   en="lenet_rgb: layers in order; the first convolution takes 3 channels and "
                      "has no padding")
def test_lenet_rgb_structure(student, lang):
    check_layers_as_data(student, lang, "lenet_rgb", RGB_INPUT, _rgb_diagnosis)


@pytest.mark.points(1)
@pytest.mark.title(es="lenet_rgb: forma de la salida de cada capa (3x32x32) y 62.006 parámetros",
                   en="lenet_rgb: output shape of each layer (3x32x32) and 62,006 parameters")
def test_lenet_rgb_shapes_and_params(student, lang):
    check_run(student, lang, "lenet_rgb", RGB_INPUT, _rgb_shapes_diagnosis)


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


@pytest.mark.points(2)
@pytest.mark.title(es="layer_shapes: nombre y forma de salida de cada capa de varias redes",
                   en="layer_shapes: name and output shape of each layer of several networks")
def test_layer_shapes(student, lang):
    for spec, shape in SHAPE_NETS:
        got = student.probe("layer_shapes", "run_layer_shapes", spec, shape)["value"]
        want = ref.layer_shapes(probes.build_net(spec), shape)
        layers = ", ".join(name for name, _, _ in spec)
        norm = _normalise_shapes(got)
        if norm is None:
            fail(lang, f"layer_shapes(net, {shape}) tiene que devolver una lista de pares "
                       f"(nombre de la clase, tupla con la forma); devolvió {fmt_value(got)}.\n"
                       f"Red: {layers}",
                 f"layer_shapes(net, {shape}) must return a list of (class name, shape tuple) "
                 f"pairs; it returned {fmt_value(got)}.\nNetwork: {layers}")
        if norm != [(n, tuple(s)) for n, s in want]:
            fail(lang, f"layer_shapes(net, {shape}) no devolvió lo esperado.\nRed: {layers}\n"
                       f"Se esperaba: {fmt_value(want)}\nTu función:  {fmt_value(norm)}",
                 f"layer_shapes(net, {shape}) did not return the expected list.\nNetwork: {layers}\n"
                 f"Expected:      {fmt_value(want)}\nYour function: {fmt_value(norm)}")


# --------------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.title(es="accuracy: fracción de filas cuyo argmax coincide con y",
                   en="accuracy: fraction of rows whose argmax equals y")
def test_accuracy(student, lang):
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
        fail(lang, f"{call} devolvió {fmt_value(got)}; se esperaba {want:.4g} "
                   f"({int(hits)} aciertos de {len(y)}).",
             f"{call} returned {fmt_value(got)}; expected {want:.4g} ({int(hits)} hits out of "
             f"{len(y)}).", key)


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


def returned_pair(lang, fn, value):
    if isinstance(value, (list, tuple)) and len(value) == 2:
        nums = [as_number(v) for v in value]
        if all(n is not None for n in nums):
            return nums
    fail(lang, f"{fn} tiene que devolver una tupla (pérdida media, exactitud media); devolvió "
               f"{fmt_value(value)}.",
         f"{fn} must return a tuple (mean loss, mean accuracy); it returned {fmt_value(value)}.")


def check_means(lang, fn, got):
    loss, acc = returned_pair(lang, fn, got["value"])
    losses = [e[1] for e in events(got["log"], "loss")]
    accs = [e[3] for e in events(got["log"], "loss")]
    if len(losses) != N_BATCHES:
        fail(lang, f"{fn} calculó la pérdida {len(losses)} veces con {N_BATCHES} lotes; se esperaba "
                   f"una vez por lote.",
             f"{fn} computed the loss {len(losses)} times for {N_BATCHES} batches; expected once "
             f"per batch.")
    for what_es, what_en, value, per_batch in (("la pérdida", "loss", loss, losses),
                                               ("la exactitud", "accuracy", acc, accs)):
        want = sum(per_batch) / len(per_batch)
        if abs(value - want) <= 1e-5 * max(1.0, abs(want)):
            continue
        key = None
        if abs(value - per_batch[-1]) <= 1e-5:
            key = "last_batch_only"
        elif abs(value - sum(per_batch)) <= 1e-4:
            key = "sum_not_mean"
        elif what_en == "accuracy" and abs(value - 100 * want) <= 1e-3:
            key = "accuracy_percent"
        shown = ", ".join(f"{v:.4f}" for v in per_batch)
        fail(lang, f"{fn} devolvió {value:.6g} como {what_es} media; los {N_BATCHES} lotes dieron "
                   f"{shown}, cuyo promedio es {want:.6g}.",
             f"{fn} returned {value:.6g} as the mean {what_en}; the {N_BATCHES} batches gave "
             f"{shown}, whose mean is {want:.6g}.", key)


@pytest.mark.points(3)
@pytest.mark.title(es="train_epoch: modo entrenamiento, zero_grad, backward y step en cada lote",
                   en="train_epoch: training mode, zero_grad, backward and step for every batch")
def test_train_epoch_protocol(student, lang):
    got, _ = run_loop(student, "train_epoch", "eval", 11)
    log = got["log"]
    forwards = events(log, "forward")
    if len(forwards) < N_BATCHES:
        fail(lang, f"train_epoch pasó {len(forwards)} lotes por el modelo; el loader tenía {N_BATCHES}.",
             f"train_epoch ran {len(forwards)} batches through the model; the loader had {N_BATCHES}.")
    if not all(f[1] for f in forwards):
        fail(lang, "train_epoch corrió el modelo en modo evaluación (le dimos un modelo en modo "
                   "eval).",
             "train_epoch ran the model in evaluation mode (we passed it a model in eval mode).",
             "no_train_mode")
    if not all(f[2] for f in forwards):
        fail(lang, "train_epoch corrió el modelo con los gradientes desactivados (torch.no_grad): "
                   "así no se puede entrenar.",
             "train_epoch ran the model with gradients disabled (torch.no_grad): it cannot train "
             "that way.")
    n_back, n_step = len(events(log, "backward")), len(events(log, "step"))
    if n_back != N_BATCHES:
        fail(lang, f"Con {N_BATCHES} lotes, train_epoch llamó a backward {n_back} veces.",
             f"With {N_BATCHES} batches, train_epoch called backward {n_back} times.", "no_backward")
    if n_step != N_BATCHES:
        fail(lang, f"Con {N_BATCHES} lotes, train_epoch llamó a optimizer.step() {n_step} veces.",
             f"With {N_BATCHES} batches, train_epoch called optimizer.step() {n_step} times.",
             "no_step")
    stepped, clean = False, True
    for e in log:
        if e[0] == "zero_grad":
            clean = True
        elif e[0] == "step":
            stepped = True
        elif e[0] == "backward":
            if stepped and not clean:
                fail(lang, "Entre un lote y el siguiente, train_epoch no puso los gradientes a cero "
                           "antes de backward.",
                     "Between one batch and the next, train_epoch did not reset the gradients "
                     "before backward.", "no_zero_grad")
            clean = False


@pytest.mark.points(2)
@pytest.mark.title(es="train_epoch: pesos finales y promedios de pérdida y exactitud por lote",
                   en="train_epoch: final weights and per-batch means of loss and accuracy")
def test_train_epoch_values(student, lang):
    got, want = run_loop(student, "train_epoch", "train", 12)
    check_means(lang, "train_epoch", got)
    for name, w in want["weights"].items():
        mine = got["weights"][name]
        if not torch.allclose(mine.double(), w.double(), rtol=1e-4, atol=1e-5):
            fail(lang, f"Después de una época con SGD (lr=0.1) sobre {N_BATCHES} lotes, los pesos "
                       f"del modelo ({name}) no son los esperados: cada lote tiene que hacer "
                       f"zero_grad, forward, pérdida, backward y step una vez.",
                 f"After one epoch of SGD (lr=0.1) over {N_BATCHES} batches, the model's weights "
                 f"({name}) are not the expected ones: each batch must do zero_grad, forward, "
                 f"loss, backward and step once.")


@pytest.mark.points(2)
@pytest.mark.title(es="evaluate: modo evaluación, sin gradientes y sin cambiar los pesos",
                   en="evaluate: evaluation mode, no gradients and no weight change")
def test_evaluate_protocol(student, lang):
    got, want = run_loop(student, "evaluate", "train", 13)
    forwards = events(got["log"], "forward")
    if len(forwards) < N_BATCHES:
        fail(lang, f"evaluate pasó {len(forwards)} lotes por el modelo; el loader tenía {N_BATCHES}.",
             f"evaluate ran {len(forwards)} batches through the model; the loader had {N_BATCHES}.")
    if any(f[1] for f in forwards):
        fail(lang, "evaluate corrió el modelo en modo entrenamiento (le dimos un modelo en modo "
                   "train).",
             "evaluate ran the model in training mode (we passed it a model in train mode).",
             "no_eval_mode")
    if any(f[2] for f in forwards):
        fail(lang, "evaluate corrió el modelo con los gradientes activados.",
             "evaluate ran the model with gradients enabled.", "grad_enabled_eval")
    changed = [n for n, w in want["weights"].items() if not torch.equal(got["weights"][n], w)]
    if events(got["log"], "backward") or changed:
        fail(lang, "evaluate modificó los pesos del modelo o llamó a backward.",
             "evaluate changed the model's weights or called backward.", "optimizer_in_eval")


@pytest.mark.points(2)
@pytest.mark.title(es="evaluate: promedios de pérdida y exactitud por lote",
                   en="evaluate: per-batch means of loss and accuracy")
def test_evaluate_values(student, lang):
    got, want = run_loop(student, "evaluate", "eval", 14)
    check_means(lang, "evaluate", got)
