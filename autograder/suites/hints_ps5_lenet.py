"""The misconceptions the ps5_lenet suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.i18n import N_

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
    "missing_padding": N_("a la primera convolución le falta padding=2: sin él la salida es de "
                          "24x24 en lugar de 28x28"),
    "wide_sizes": N_("lenet_wide ensancha las cuatro capas ocultas de lenet_modern: "
                     "convoluciones de 20 y 50 canales y capas lineales de 200 y 80 unidades; la "
                     "primera capa lineal recibe entonces 50·5·5 = 1250 entradas"),
    "rgb_in_channels": N_("las imágenes de CIFAR-10 son en color: la primera convolución de "
                          "lenet_rgb recibe 3 canales (rojo, verde y azul), no 1"),
    "rgb_padding": N_("la primera convolución de lenet_rgb no lleva relleno: la imagen ya mide "
                      "32x32 y sin relleno da 28x28, como en lenet_modern (con padding=2 saldría "
                      "32x32 y todo lo demás cambiaría de tamaño)"),
    "softmax_in_model": N_("el modelo termina en una Softmax: devuelve logits, la softmax ya "
                           "está dentro de CrossEntropyLoss"),
}
