"""Honest ps4_pooling: Spanish identifiers with accents and Spanish comments, loops over windows with torch.full padding (file saved with CRLF)."""
import torch


def _modo_válido(modo):
    if modo not in ("max", "avg"):
        raise ValueError(f"El modo tiene que ser 'max' o 'avg', pero recibí {modo!r}.")


def pool2d(X, pool_size, mode='max'):
    """Pooling con paso 1 y sin relleno."""
    _modo_válido(mode)
    alto_ventana, ancho_ventana = pool_size
    salida = torch.zeros((X.shape[0] - alto_ventana + 1, X.shape[1] - ancho_ventana + 1), dtype=X.dtype)
    for i in range(salida.shape[0]):
        for j in range(salida.shape[1]):
            ventana = X[i:i + alto_ventana, j:j + ancho_ventana]
            salida[i, j] = ventana.max() if mode == 'max' else ventana.mean()
    return salida


def _par(valor):
    return (valor, valor) if isinstance(valor, int) else tuple(valor)


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    _modo_válido(mode)
    alto_ventana, ancho_ventana = _par(pool_size)
    # si no dan el paso, se usa el tamaño de la ventana (como nn.MaxPool2d)
    paso_alto, paso_ancho = _par(stride) if stride is not None else (alto_ventana, ancho_ventana)
    relleno_alto, relleno_ancho = _par(padding)
    alto, ancho = X.shape[-2:]
    # el relleno del máximo es -inf para que nunca gane; el del promedio es cero
    valor_relleno = float('-inf') if mode == 'max' else 0.0
    tamaño = X.shape[:-2] + (alto + 2 * relleno_alto, ancho + 2 * relleno_ancho)
    con_relleno = torch.full(tamaño, valor_relleno, dtype=X.dtype)
    con_relleno[..., relleno_alto:relleno_alto + alto, relleno_ancho:relleno_ancho + ancho] = X
    alto_salida = (con_relleno.shape[-2] - alto_ventana) // paso_alto + 1
    ancho_salida = (con_relleno.shape[-1] - ancho_ventana) // paso_ancho + 1
    salida = torch.zeros(X.shape[:-2] + (alto_salida, ancho_salida), dtype=X.dtype)
    for fila in range(alto_salida):
        for columna in range(ancho_salida):
            arriba, izquierda = fila * paso_alto, columna * paso_ancho
            ventana = con_relleno[..., arriba:arriba + alto_ventana, izquierda:izquierda + ancho_ventana]
            if mode == 'max':
                salida[..., fila, columna] = ventana.amax(dim=(-2, -1))
            else:
                salida[..., fila, columna] = ventana.mean(dim=(-2, -1))
    return salida
