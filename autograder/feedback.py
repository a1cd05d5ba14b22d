"""Student-facing feedback: the Feedback exception, formatting helpers and misconception
diagnosis.

Messages are Spanish by default (English with lang="en"). A failing test raises Feedback with
the student-facing text: what was expected, what came back, on which input, and the likely
misconception when one is recognised. The diagnosis compares the student's output with
alternatives computed in the trusted process (e.g. the result a flipped kernel would give).
Never put test source in a message.
"""
from __future__ import annotations

import math

import torch


class Feedback(AssertionError):
    """A failed check, carrying the student-facing message (and the misconception key, if any)."""

    def __init__(self, message: str, misconception: str | None = None):
        super().__init__(message)
        self.message = message
        self.misconception = misconception
        # trusted data for the report pages (e.g. the tensors a check saw); the engine stores
        # it in the test's extra_data, never in the student-facing message
        self.data = {}

    def __str__(self):
        return self.message


def pick(lang: str, es: str, en: str) -> str:
    return en if lang == "en" else es


def fail(lang: str, es: str, en: str, misconception: str | None = None):
    """Raise Feedback with the message in the session's language (appending the misconception
    explanation when a key is given)."""
    message = pick(lang, es, en)
    if misconception:
        message += "\n" + explain(lang, misconception)
    raise Feedback(message, misconception)


# ---------------------------------------------------------------------------------------------
# Misconceptions: key -> (Spanish, English). tests/test_suites.py checks that the feedback of a
# mutant contains the text of its misconception.

MISCONCEPTIONS = {
    "stub": ("la función todavía no está implementada (lanza NotImplementedError)",
             "the function is not implemented yet (it raises NotImplementedError)"),
    "forbidden": ("usaste una función de PyTorch que hace todo el trabajo; el ejercicio pide "
                  "implementar la operación a mano",
                  "you used a PyTorch function that does the whole job; the exercise asks you to "
                  "implement the operation yourself"),
    "flipped_kernel": ("volteaste el kernel: eso es una convolución estricta, no la correlación "
                       "cruzada que calcula corr2d",
                       "you flipped the kernel: that is a strict convolution, not the "
                       "cross-correlation corr2d computes"),
    "not_flipped": ("no volteaste el kernel: la convolución estricta voltea K en ambos ejes "
                    "(torch.flip(K, dims=(0, 1))) y luego correlaciona",
                    "you did not flip the kernel: strict convolution flips K on both axes "
                    "(torch.flip(K, dims=(0, 1))) and then cross-correlates"),
    "flipped_one_axis": ("volteaste el kernel en un solo eje; hay que voltearlo en los dos",
                         "you flipped the kernel along one axis only; flip it along both"),
    "kernel_transposed": ("usaste el kernel transpuesto (intercambiaste sus filas y columnas)",
                          "you used the transposed kernel (rows and columns swapped)"),
    "off_by_one": ("el tamaño de la salida está desfasado en uno: con una entrada de tamaño n y "
                   "un kernel de tamaño k hay n - k + 1 posiciones (revisa los range de tus bucles)",
                   "the output size is off by one: an input of size n and a kernel of size k give "
                   "n - k + 1 positions (check the ranges of your loops)"),
    "transposed": ("intercambiaste alto y ancho: tu salida es la traspuesta de la esperada",
                   "you swapped height and width: your output is the transpose of the expected one"),
    "channels_not_summed": ("no sumaste sobre los canales de entrada: hay que sumar los resultados "
                            "de todos los canales en un único mapa",
                            "you did not sum over the input channels: the results of all channels "
                            "must be added into a single map"),
    "channels_averaged": ("promediaste los canales de entrada en lugar de sumarlos",
                          "you averaged the input channels instead of summing them"),
    "first_channel_only": ("solo usaste el primer canal de entrada",
                           "you only used the first input channel"),
    "stack_axis": ("apilaste los canales de salida en el eje equivocado: deben ir en la "
                   "dimensión 0, con forma (c_o, h', w')",
                   "you stacked the output channels along the wrong axis: they go in dimension "
                   "0, shape (c_o, h', w')"),
    "kernel_axes_mixed": ("mezclaste los ejes de K al convertirlo en matriz: K de forma "
                          "(c_o, c_i, 1, 1) tiene que quedar como (c_o, c_i)",
                          "you mixed up the axes of K when turning it into a matrix: K of shape "
                          "(c_o, c_i, 1, 1) must become (c_o, c_i)"),
    "per_pixel_loop": ("tu función recorre los píxeles uno por uno: la convolución 1x1 se puede "
                       "escribir como un único producto de matrices (K como (c_o, c_i) por X como "
                       "(c_i, h*w))",
                       "your function visits the pixels one by one: a 1x1 convolution is a single "
                       "matrix product (K as (c_o, c_i) times X as (c_i, h*w))"),
    "avg_as_sum": ("calculaste la suma de cada ventana en lugar del promedio (falta dividir por "
                   "p_h * p_w)",
                   "you computed the sum of each window instead of its mean (divide by p_h * p_w)"),
    "min_instead_of_max": ("calculaste el mínimo de cada ventana en lugar del máximo",
                           "you computed the minimum of each window instead of the maximum"),
    "modes_swapped": ("intercambiaste los modos: 'max' es el máximo y 'avg' el promedio",
                      "you swapped the modes: 'max' is the maximum and 'avg' the mean"),
    "no_value_error": ("con un modo desconocido hay que lanzar ValueError (la versión del curso "
                       "devolvía ceros en silencio: un error)",
                       "an unknown mode must raise ValueError (the course's version silently "
                       "returned zeros: a bug)"),
    "default_stride_1": ("con stride=None el paso tiene que ser igual al tamaño de la ventana "
                         "(como en nn.MaxPool2d); usaste paso 1",
                         "with stride=None the stride must equal the window size (as in "
                         "nn.MaxPool2d); you used stride 1"),
    "max_zero_padding": ("en el pooling máximo rellenaste con ceros: si los valores son negativos "
                         "el cero del borde gana. El relleno del máximo tiene que ser -inf",
                         "you padded max pooling with zeros: with negative values the border "
                         "zero wins. Max pooling pads with -inf"),
    "avg_excludes_padding": ("en el promedio no contaste los ceros del relleno: F.avg_pool2d "
                             "(count_include_pad=True) divide siempre por p_h * p_w",
                             "your mean ignores the padded zeros: F.avg_pool2d "
                             "(count_include_pad=True) always divides by p_h * p_w"),
    "padding_ignored": ("parece que ignoraste el padding",
                        "it looks like you ignored the padding"),
    "stride_ignored": ("parece que ignoraste el stride (paso)",
                       "it looks like you ignored the stride"),
    "padding_one_side": ("aplicaste el padding de un solo lado: el padding es por lado (p filas "
                         "arriba y p abajo, p columnas a cada lado)",
                         "you padded one side only: padding is per side (p rows above and p "
                         "below, p columns on each side)"),
    "pair_swapped": ("intercambiaste los valores de un par (alto, ancho): el primero es el alto "
                     "y el segundo el ancho",
                     "you swapped the values of an (height, width) pair: the first one is the "
                     "height, the second the width"),
    "padding_not_doubled": ("sumaste el padding una sola vez: es por lado, así que la fórmula "
                            "lleva 2p: floor((n + 2p - k) / s) + 1",
                            "you added the padding once: it is per side, so the formula has 2p: "
                            "floor((n + 2p - k) / s) + 1"),
    "missing_plus_one": ("falta el + 1 de la fórmula floor((n + 2p - k) / s) + 1",
                         "the + 1 of floor((n + 2p - k) / s) + 1 is missing"),
    "ceil_division": ("redondeaste hacia arriba: la fórmula usa la división entera hacia abajo",
                      "you rounded up: the formula uses floor division"),
    "mean_loss": ("usaste el error cuadrático medio: el ejercicio usa la suma de los errores al "
                  "cuadrado",
                  "you used the mean squared error: the exercise uses the sum of squared errors"),
    "no_zero_grad_manual": ("no pusiste el gradiente a cero entre iteraciones, así que se acumula "
                            "(usa conv.zero_grad() o weight.grad.zero_())",
                            "you did not reset the gradient between iterations, so it accumulates "
                            "(use conv.zero_grad() or weight.grad.zero_())"),
    "gradient_ascent": ("sumaste el gradiente en lugar de restarlo: el descenso de gradiente es "
                        "w <- w - lr * grad",
                        "you added the gradient instead of subtracting it: gradient descent is "
                        "w <- w - lr * grad"),
    "lr_ignored": ("tu función no usa el parámetro lr (con lr=0 el kernel igual cambió)",
                   "your function ignores the lr argument (with lr=0 the kernel still changed)"),
    "iters_ignored": ("tu función no hace num_iters iteraciones",
                      "your function does not run num_iters iterations"),
    "defaults_changed": ("cambiaste los valores por defecto de la firma: el enunciado fija "
                         "lr=3e-2 y num_iters=10 (quien llame learn_kernel(X, Y, kernel_size) "
                         "espera esos valores)",
                         "you changed the signature's defaults: the exercise fixes lr=3e-2 and "
                         "num_iters=10 (a call learn_kernel(X, Y, kernel_size) expects them)"),
    "default_mode_not_max": ("el modo por defecto tiene que ser 'max' (mode='max' en la firma), "
                             "como nn.MaxPool2d",
                             "the default mode must be 'max' (mode='max' in the signature), as "
                             "in nn.MaxPool2d"),
    "bias_not_parameter": ("bias no es un parámetro registrado de la capa: créalo con "
                           "nn.Parameter(torch.zeros(1)) y asígnalo a self.bias",
                           "bias is not a registered parameter of the layer: create it with "
                           "nn.Parameter(torch.zeros(1)) and assign it to self.bias"),
    "weight_not_parameter": ("weight no es un parámetro registrado de la capa: créalo con "
                             "nn.Parameter(torch.rand(kernel_size)) y asígnalo a self.weight",
                             "weight is not a registered parameter of the layer: create it with "
                             "nn.Parameter(torch.rand(kernel_size)) and assign it to self.weight"),
    "weight_not_random": ("el kernel no empieza con valores aleatorios",
                          "the kernel does not start with random values"),
    "bias_not_zero": ("el sesgo tiene que empezar en cero", "the bias must start at zero"),
    "forward_flipped": ("forward volteó el kernel (una convolución estricta en lugar de corr2d)",
                        "forward flipped the kernel (a strict convolution instead of corr2d)"),
    "bias_missing": ("forward no suma el sesgo (bias)", "forward does not add the bias"),
    "no_zero_grad": ("no llamaste a optimizer.zero_grad() en cada lote: los gradientes se "
                     "acumulan de un lote al siguiente",
                     "you did not call optimizer.zero_grad() for each batch: gradients "
                     "accumulate from one batch to the next"),
    "no_step": ("no llamaste a optimizer.step() una vez por lote",
                "you did not call optimizer.step() once per batch"),
    "no_backward": ("no llamaste a loss.backward() en cada lote",
                    "you did not call loss.backward() for each batch"),
    "no_train_mode": ("el modelo no estaba en modo entrenamiento: llama a model.train() al "
                      "empezar la época (Dropout y BatchNorm se comportan distinto)",
                      "the model was not in training mode: call model.train() at the start of "
                      "the epoch (Dropout and BatchNorm behave differently)"),
    "no_eval_mode": ("el modelo no estaba en modo evaluación: llama a model.eval() antes de "
                     "evaluar",
                     "the model was not in evaluation mode: call model.eval() before evaluating"),
    "grad_enabled_eval": ("evaluaste con los gradientes activados: envuelve el bucle en "
                          "torch.no_grad()",
                          "you evaluated with gradients enabled: wrap the loop in torch.no_grad()"),
    "optimizer_in_eval": ("evaluate no debe modificar los pesos (nada de backward ni step)",
                          "evaluate must not change the weights (no backward, no step)"),
    "last_batch_only": ("devolviste el valor del último lote en lugar del promedio de todos los "
                        "lotes",
                        "you returned the last batch's value instead of the mean over all "
                        "batches"),
    "sum_not_mean": ("sumaste los valores de los lotes sin dividir por el número de lotes",
                     "you summed the batch values without dividing by the number of batches"),
    "accuracy_count": ("devolviste la cantidad de aciertos en lugar de la fracción (divide por "
                       "el número de filas)",
                       "you returned the number of hits instead of the fraction (divide by the "
                       "number of rows)"),
    "accuracy_percent": ("devolviste un porcentaje (0-100) en lugar de una fracción (0-1)",
                         "you returned a percentage (0-100) instead of a fraction (0-1)"),
    "argmax_wrong_dim": ("calculaste el argmax sobre el eje equivocado: las clases están en la "
                         "dimensión 1",
                         "you took the argmax along the wrong axis: classes are in dimension 1"),
    "sigmoid_in_modern": ("lenet_modern todavía usa Sigmoid: la versión moderna usa ReLU",
                          "lenet_modern still uses Sigmoid: the modern version uses ReLU"),
    "avgpool_in_modern": ("lenet_modern todavía usa AvgPool2d: la versión moderna usa MaxPool2d",
                          "lenet_modern still uses AvgPool2d: the modern version uses MaxPool2d"),
    "relu_in_lenet": ("lenet() es la versión original: usa Sigmoid y AvgPool2d (ReLU y MaxPool2d "
                      "son para lenet_modern)",
                      "lenet() is the original version: it uses Sigmoid and AvgPool2d (ReLU and "
                      "MaxPool2d belong to lenet_modern)"),
    "missing_padding": ("a la primera convolución le falta padding=2: sin él la salida es de "
                        "24x24 en lugar de 28x28",
                        "the first convolution needs padding=2: without it the output is 24x24 "
                        "instead of 28x28"),
    "wide_sizes": ("lenet_wide ensancha las cuatro capas ocultas de lenet_modern: convoluciones de "
                   "20 y 50 canales y capas lineales de 200 y 80 unidades; la primera capa lineal "
                   "recibe entonces 50·5·5 = 1250 entradas",
                   "lenet_wide widens the four hidden layers of lenet_modern: convolutions with 20 "
                   "and 50 channels and linear layers with 200 and 80 units; the first linear layer "
                   "then takes 50·5·5 = 1250 inputs"),
    "rgb_in_channels": ("las imágenes de CIFAR-10 son en color: la primera convolución de lenet_rgb "
                        "recibe 3 canales (rojo, verde y azul), no 1",
                        "CIFAR-10 images are in colour: the first convolution of lenet_rgb takes 3 "
                        "channels (red, green and blue), not 1"),
    "rgb_padding": ("la primera convolución de lenet_rgb no lleva relleno: la imagen ya mide 32x32 y "
                    "sin relleno da 28x28, como en lenet_modern (con padding=2 saldría 32x32 y todo "
                    "lo demás cambiaría de tamaño)",
                    "the first convolution of lenet_rgb has no padding: the image is already 32x32 "
                    "and without padding gives 28x28, as in lenet_modern (with padding=2 it would "
                    "give 32x32 and every later size would change)"),
    "softmax_in_model": ("el modelo termina en una Softmax: devuelve logits, la softmax ya está "
                         "dentro de CrossEntropyLoss",
                         "the model ends with a Softmax: return logits, the softmax is already "
                         "inside CrossEntropyLoss"),
    "unverifiable": ("tu código usa construcciones (acceso dinámico a nombres, módulos privados de "
                     "torch, cambios a torch o al corrector) que impiden comprobar que implementas "
                     "la operación tú mismo/a; un docente revisará tu entrega",
                     "your code uses constructs (dynamic name access, private torch modules, "
                     "changes to torch or to the grader) that make it impossible to check that "
                     "you implement the operation yourself; an instructor will review your "
                     "submission"),
    "tampered": ("el proceso que ejecuta tu código respondió algo que el corrector nunca envía: "
                 "tu código modificó el corrector o su comunicación; un docente revisará tu entrega",
                 "the process running your code answered something the grader never sends: your "
                 "code changed the grader or its communication; an instructor will review your "
                 "submission"),
}


def with_misconception(exc: Feedback, lang: str, key: str) -> Feedback:
    """The same failure, now naming the misconception `key` (found after the fact)."""
    return Feedback(exc.message + "\n" + explain(lang, key), key)


def explain(lang: str, key: str) -> str:
    es, en = MISCONCEPTIONS[key]
    return pick(lang, "Posible causa: " + es + ".", "Likely cause: " + en + ".")


def misconception_text(key: str, lang: str = "es") -> str:
    es, en = MISCONCEPTIONS[key]
    return pick(lang, es, en)


# ---------------------------------------------------------------------------------------------
# Formatting.


def fmt_shape(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _fmt_number(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.4g}"


def fmt_tensor(t, max_numel: int = 48) -> str:
    """A small tensor as nested lists (4 significant digits); a large one by its shape."""
    if not isinstance(t, torch.Tensor):
        return fmt_value(t)
    if t.numel() > max_numel:
        return f"<tensor {fmt_shape(t.shape)}, {str(t.dtype).replace('torch.', '')}>"
    if t.dim() == 0:
        return _fmt_number(float(t))

    def rec(x):
        if x.dim() == 1:
            return "[" + ", ".join(_fmt_number(float(v)) for v in x) + "]"
        return "[" + ", ".join(rec(r) for r in x) + "]"

    return rec(t.detach().to(torch.float64) if t.is_floating_point() or t.dtype == torch.bool
               else t.detach())


def fmt_value(v) -> str:
    if isinstance(v, torch.Tensor):
        return fmt_tensor(v)
    if isinstance(v, float):
        return _fmt_number(v)
    if isinstance(v, dict) and "__unsupported__" in v:
        return f"<{v['__unsupported__']}>"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(fmt_value(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    text = repr(v)
    return text if len(text) <= 200 else text[:200] + "..."


def describe_tensor(name: str, t, show_values: bool = True, max_numel: int = 30) -> str:
    """'X de forma (3, 4) float32 = [[...]]' (values only for small tensors)."""
    if not isinstance(t, torch.Tensor):
        return f"{name} = {fmt_value(t)}"
    text = f"{name} {fmt_shape(t.shape)} {str(t.dtype).replace('torch.', '')}"
    if show_values and t.numel() <= max_numel:
        text += f" = {fmt_tensor(t, max_numel)}"
    return text


def describe_inputs(inputs: dict, max_numel: int = 30) -> str:
    return "; ".join(describe_tensor(k, v, max_numel=max_numel) for k, v in inputs.items())


# ---------------------------------------------------------------------------------------------
# Comparison + diagnosis.

RTOL, ATOL = 1.3e-6, 1e-5  # torch.testing.assert_close defaults for float32


def close(got, expected, rtol=RTOL, atol=ATOL) -> bool:
    if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return False
    if tuple(got.shape) != tuple(expected.shape):
        return False
    if got.dtype == torch.bool or got.is_complex():
        return False
    try:
        torch.testing.assert_close(got.detach().to(torch.float64), expected.to(torch.float64),
                                   rtol=rtol, atol=atol, equal_nan=False)
        return True
    except AssertionError:
        return False


def diagnose(got, alternatives) -> str | None:
    """The key of the first alternative (key -> tensor, or a list of (key, tensor)) the
    student's output matches, or None."""
    items = alternatives.items() if isinstance(alternatives, dict) else alternatives
    for key, alt in items:
        if alt is not None and close(got, alt):
            return key
    return None


def _first_difference(got, expected):
    diff = (got.detach().to(torch.float64) - expected.to(torch.float64)).abs()
    tol = ATOL + RTOL * expected.to(torch.float64).abs()
    bad = (diff > tol) | torch.isnan(got.detach().to(torch.float64))
    idx = tuple(int(i) for i in bad.nonzero()[0]) if bad.any() else None
    finite = diff[torch.isfinite(diff)]
    return idx, (float(finite.max()) if finite.numel() else float("nan"))


def shape_misconception(got_shape, expected_shape, off_by_one=False):
    got_shape, expected_shape = tuple(got_shape), tuple(expected_shape)
    if len(got_shape) == len(expected_shape) >= 2 and got_shape != expected_shape:
        if got_shape[-2:] == expected_shape[-2:][::-1] and got_shape[:-2] == expected_shape[:-2]:
            return "transposed"
        if off_by_one and all(abs(a - b) <= 1 for a, b in zip(got_shape, expected_shape)):
            return "off_by_one"
    return None


def check_tensor(lang, call, got, expected, inputs=None, alternatives=None, rtol=RTOL,
                 atol=ATOL, off_by_one=False):
    """Compare the student's output with expected (see _check_tensor); a failure carries the
    tensors it saw (small, capped) in Feedback.data["tensors"] for the report pages."""
    try:
        _check_tensor(lang, call, got, expected, inputs, alternatives, rtol, atol, off_by_one)
    except Feedback as exc:
        exc.data.setdefault("tensors", dict(tensor_snapshot(inputs, expected, got), call=str(call)))
        raise


MAX_SNAPSHOT_NUMEL = 1024


def _as_lists(t, max_numel=MAX_SNAPSHOT_NUMEL):
    """A tensor as nested lists of finite floats (None for nan/inf), or None when too big."""
    if not isinstance(t, torch.Tensor) or t.numel() > max_numel or t.is_complex() or t.numel() == 0:
        return None
    values = t.detach().cpu().to(torch.float64)

    def clean(x):
        if isinstance(x, list):
            return [clean(v) for v in x]
        return round(x, 6) if math.isfinite(x) else None

    return clean(values.tolist())


def tensor_snapshot(inputs, expected, got) -> dict:
    """{"inputs": {name: lists}, "expected": lists, "obtained": lists} for the tensors small
    enough to draw (each at most MAX_SNAPSHOT_NUMEL elements); non-tensor inputs as text."""
    snap = {"inputs": {}, "params": {}}
    for name, value in (inputs or {}).items():
        lists = _as_lists(value)
        if lists is not None:
            snap["inputs"][str(name)] = lists
        elif not isinstance(value, torch.Tensor):
            snap["params"][str(name)] = fmt_value(value)[:80]
    for key, value in (("expected", expected), ("obtained", got)):
        lists = _as_lists(value)
        if lists is not None:
            snap[key] = lists
    return snap


def _check_tensor(lang, call, got, expected, inputs=None, alternatives=None, rtol=RTOL,
                  atol=ATOL, off_by_one=False):
    """Compare the student's output (got) with expected (float64, trusted); raise Feedback
    naming the call, the inputs, what was expected and what came back."""
    where = ""
    if inputs:
        where = pick(lang, f"\nEntrada: {describe_inputs(inputs)}", f"\nInput: {describe_inputs(inputs)}")
    if not isinstance(got, torch.Tensor):
        fail(lang,
             f"{call} tiene que devolver un tensor, pero devolvió {fmt_value(got)}.{where}",
             f"{call} must return a tensor, but it returned {fmt_value(got)}.{where}")
    key = diagnose(got, alternatives or {})
    if tuple(got.shape) != tuple(expected.shape):
        key = key or shape_misconception(got.shape, expected.shape, off_by_one)
        fail(lang,
             f"{call} devolvió un tensor de forma {fmt_shape(got.shape)}; se esperaba la forma "
             f"{fmt_shape(expected.shape)}.{where}",
             f"{call} returned a tensor of shape {fmt_shape(got.shape)}; expected shape "
             f"{fmt_shape(expected.shape)}.{where}", key)
    if not (got.is_floating_point() or got.dtype in (torch.int64, torch.int32, torch.int16,
                                                      torch.int8, torch.uint8)):
        fail(lang, f"{call} devolvió un tensor de tipo {got.dtype}; se esperaba un tensor de "
                   f"punto flotante.{where}",
             f"{call} returned a tensor of dtype {got.dtype}; expected a floating tensor.{where}")
    try:
        torch.testing.assert_close(got.detach().to(torch.float64), expected.to(torch.float64),
                                   rtol=rtol, atol=atol)
        return
    except AssertionError:
        pass
    idx, maxdiff = _first_difference(got, expected)
    dtype_note = ""
    if not got.is_floating_point():
        dtype_note = pick(lang, f" (tu tensor es de enteros, {got.dtype}: se pierden los decimales)",
                          f" (your tensor holds integers, {got.dtype}: decimals are lost)")
    if expected.numel() <= 48:
        body_es = f"Se esperaba:\n  {fmt_tensor(expected)}\nTu función devolvió:\n  {fmt_tensor(got)}"
        body_en = f"Expected:\n  {fmt_tensor(expected)}\nYour function returned:\n  {fmt_tensor(got)}"
    else:
        e, g = float(expected[idx]), float(got[idx])
        body_es = (f"Primera diferencia en la posición {idx}: se esperaba {_fmt_number(e)} y tu "
                   f"función devolvió {_fmt_number(g)} (diferencia máxima {_fmt_number(maxdiff)}).")
        body_en = (f"First difference at position {idx}: expected {_fmt_number(e)}, your function "
                   f"returned {_fmt_number(g)} (largest difference {_fmt_number(maxdiff)}).")
    fail(lang, f"{call} no devolvió los valores esperados{dtype_note}.{where}\n{body_es}",
         f"{call} did not return the expected values{dtype_note}.{where}\n{body_en}", key)


def as_number(v):
    """A Python number from an int/float/0-d (or one-element) tensor, else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_complex():
        return float(v.reshape(()))
    return None
