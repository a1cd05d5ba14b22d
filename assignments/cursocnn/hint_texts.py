"""The grader's misconception texts (Spanish) for the keys the kit's hints can name.

A copy of autograder.text.feedback.misconception_text(key, "es") (the kit cannot import the grader).
Generated file: do not edit by hand; `python -m autograder.cli.kit_copies` rewrites it.
"""

PREFIX = 'Posible causa: {cause}.'

TEXTS = {
    'avg_as_sum': 'calculaste la suma de cada ventana en lugar del promedio (falta dividir por p_h * p_w)',
    'avg_excludes_padding': 'en el promedio no contaste los ceros del relleno: F.avg_pool2d (count_include_pad=True) divide siempre por p_h * p_w',
    'bias_missing': 'forward no suma el sesgo (bias)',
    'bias_not_parameter': 'bias no es un parámetro registrado de la capa: créalo con nn.Parameter(torch.zeros(1)) y asígnalo a self.bias',
    'bias_not_zero': 'el sesgo tiene que empezar en cero',
    'ceil_division': 'redondeaste hacia arriba: la fórmula usa la división entera hacia abajo',
    'channels_averaged': 'promediaste los canales de entrada en lugar de sumarlos',
    'channels_not_summed': 'no sumaste sobre los canales de entrada: hay que sumar los resultados de todos los canales en un único mapa',
    'default_mode_not_max': "el modo por defecto tiene que ser 'max' (mode='max' en la firma), como nn.MaxPool2d",
    'default_stride_1': 'con stride=None el paso tiene que ser igual al tamaño de la ventana (como en nn.MaxPool2d); usaste paso 1',
    'defaults_changed': 'cambiaste los valores por defecto de la firma: el enunciado fija lr=3e-2 y num_iters=10 (quien llame learn_kernel(X, Y, kernel_size) espera esos valores)',
    'first_channel_only': 'solo usaste el primer canal de entrada',
    'flipped_kernel': 'volteaste el kernel: eso es una convolución estricta, no la correlación cruzada que calcula corr2d',
    'flipped_one_axis': 'volteaste el kernel en un solo eje; hay que voltearlo en los dos',
    'forward_flipped': 'forward volteó el kernel (una convolución estricta en lugar de corr2d)',
    'gradient_ascent': 'sumaste el gradiente en lugar de restarlo: el descenso de gradiente es w <- w - lr * grad',
    'iters_ignored': 'tu función no hace num_iters iteraciones',
    'kernel_axes_mixed': 'mezclaste los ejes de K al convertirlo en matriz: K de forma (c_o, c_i, 1, 1) tiene que quedar como (c_o, c_i)',
    'kernel_transposed': 'usaste el kernel transpuesto (intercambiaste sus filas y columnas)',
    'lr_ignored': 'tu función no usa el parámetro lr (con lr=0 el kernel igual cambió)',
    'max_zero_padding': 'en el pooling máximo rellenaste con ceros: si los valores son negativos el cero del borde gana. El relleno del máximo tiene que ser -inf',
    'mean_loss': 'usaste el error cuadrático medio: el ejercicio usa la suma de los errores al cuadrado',
    'min_instead_of_max': 'calculaste el mínimo de cada ventana en lugar del máximo',
    'missing_plus_one': 'falta el + 1 de la fórmula floor((n + 2p - k) / s) + 1',
    'modes_swapped': "intercambiaste los modos: 'max' es el máximo y 'avg' el promedio",
    'no_value_error': 'con un modo desconocido hay que lanzar ValueError (la versión del curso devolvía ceros en silencio: un error)',
    'no_zero_grad_manual': 'no pusiste el gradiente a cero entre iteraciones, así que se acumula (usa conv.zero_grad() o weight.grad.zero_())',
    'not_flipped': 'no volteaste el kernel: la convolución estricta voltea K en ambos ejes (torch.flip(K, dims=(0, 1))) y luego correlaciona',
    'off_by_one': 'el tamaño de la salida está desfasado en uno: con una entrada de tamaño n y un kernel de tamaño k hay n - k + 1 posiciones (revisa los range de tus bucles)',
    'padding_ignored': 'parece que ignoraste el padding',
    'padding_not_doubled': 'sumaste el padding una sola vez: es por lado, así que la fórmula lleva 2p: floor((n + 2p - k) / s) + 1',
    'padding_one_side': 'aplicaste el padding de un solo lado: el padding es por lado (p filas arriba y p abajo, p columnas a cada lado)',
    'pair_swapped': 'intercambiaste los valores de un par (alto, ancho): el primero es el alto y el segundo el ancho',
    'stack_axis': "apilaste los canales de salida en el eje equivocado: deben ir en la dimensión 0, con forma (c_o, h', w')",
    'stride_ignored': 'parece que ignoraste el stride (paso)',
    'transposed': 'intercambiaste alto y ancho: tu salida es la traspuesta de la esperada',
    'weight_not_parameter': 'weight no es un parámetro registrado de la capa: créalo con nn.Parameter(torch.rand(kernel_size)) y asígnalo a self.weight',
}
