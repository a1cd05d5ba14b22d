"""The misconceptions the ps5_lenet suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.sandboxed.worker.lenet_contract import LENETS
from autograder.text.i18n import N_

MISCONCEPTIONS = {
    "no_zero_grad": N_("no llamaste a optimizer.zero_grad() en cada lote: los gradientes se "
                       "acumulan de un lote al siguiente"),
    "no_step": N_("no llamaste a optimizer.step() una vez por lote"),
    "no_backward": N_("no llamaste a loss.backward() en cada lote"),
    "no_train_mode": N_("el modelo no estaba en modo entrenamiento: llama a model.train() al "
                        "empezar la época (Dropout y BatchNorm se comportan distinto)"),
    "no_eval_mode": N_("el modelo no estaba en modo evaluación: llama a model.eval() antes de "
                       "evaluar"),
    "grad_enabled_eval": N_("evaluaste con los gradientes activados: envuelve el bucle en "
                            "torch.no_grad()"),
    "optimizer_in_eval": N_("evaluate no debe modificar los pesos (nada de backward ni step)"),
    "last_batch_only": N_("devolviste el valor del último lote en lugar del promedio de todos "
                          "los lotes"),
    "sum_not_mean": N_("sumaste los valores de los lotes sin dividir por el número de lotes"),
    "accuracy_count": N_("devolviste la cantidad de aciertos en lugar de la fracción (divide por "
                         "el número de filas)"),
    "accuracy_percent": N_("devolviste un porcentaje (0-100) en lugar de una fracción (0-1)"),
    "argmax_wrong_dim": N_("calculaste el argmax sobre el eje equivocado: las clases están en la "
                           "dimensión 1"),
    "sigmoid_in_modern": N_("lenet_modern todavía usa Sigmoid: la versión moderna usa ReLU"),
    "avgpool_in_modern": N_("lenet_modern todavía usa AvgPool2d: la versión moderna usa MaxPool2d"),
    "relu_in_lenet": N_("lenet() es la versión original: usa Sigmoid y AvgPool2d (ReLU y "
                        "MaxPool2d son para lenet_modern)"),
    "missing_padding": N_("a la primera convolución le falta padding={padding}: sin él la salida "
                          "es de {unpadded} en lugar de {size}"),
    "wide_sizes": N_("lenet_wide ensancha las cuatro capas ocultas de lenet_modern: "
                     "convoluciones de {conv1} y {conv2} canales y capas lineales de {hidden1} y "
                     "{hidden2} unidades; la primera capa lineal recibe entonces {conv2}·{h}·{w} = "
                     "{flat} entradas"),
    "rgb_in_channels": N_("las imágenes de CIFAR-10 son en color: la primera convolución de "
                          "lenet_rgb recibe {channels} canales (rojo, verde y azul), no {grey}"),
    "rgb_padding": N_("la primera convolución de lenet_rgb no lleva relleno: la imagen ya mide "
                      "{size} y sin relleno da {unpadded}, como en lenet_modern (con padding="
                      "{padding} saldría {padded} y todo lo demás cambiaría de tamaño)"),
    "softmax_in_model": N_("el modelo termina en una Softmax: devuelve logits, la softmax ya "
                           "está dentro de CrossEntropyLoss"),
}


def _size(shape):
    return "x".join(str(d) for d in shape[-2:])


def _fields():
    """The numbers the hints quote, from the contract (autograder/sandboxed/worker/lenet_contract.py)."""
    lenet, wide, rgb = LENETS["lenet"], LENETS["lenet_wide"], LENETS["lenet_rgb"]
    padding = lenet.layers[0][1]["padding"]
    convs = [hp for kind, hp in wide.layers if kind == "Conv2d"]
    linears = [hp for kind, hp in wide.layers if kind == "Linear"]
    _, channels, h, w = wide.shapes()[wide.kinds.index("Flatten") - 1]
    return {
        "missing_padding": {"padding": padding, "size": _size(lenet.input_shape),
                            "unpadded": _size(lenet.changed(0, padding=0).shapes()[0])},
        "wide_sizes": {"conv1": convs[0]["out_channels"], "conv2": channels,
                       "hidden1": linears[0]["out_features"], "hidden2": linears[1]["out_features"],
                       "h": h, "w": w, "flat": linears[0]["in_features"]},
        "rgb_in_channels": {"channels": rgb.input_shape[1], "grey": lenet.input_shape[1]},
        "rgb_padding": {"size": _size(rgb.input_shape), "unpadded": _size(rgb.shapes()[0]),
                        "padding": padding, "padded": _size(rgb.changed(0, padding=padding).shapes()[0])},
    }


#: key -> the fields of its message (feedback.misconception_text fills them in)
FIELDS = _fields()
