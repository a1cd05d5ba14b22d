"""Honest ps2_conv2d: Spanish identifiers with accents and Spanish comments, padding with torch.zeros + slicing and plain strided loops (file saved with CRLF)."""
import torch
from torch import nn


def corr2d(X, K):
    """Correlación cruzada 2-D (la de la tarea 1)."""
    alto, ancho = K.shape
    salida = torch.zeros((X.shape[0] - alto + 1, X.shape[1] - ancho + 1),
                         dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(salida.shape[0]):
        for j in range(salida.shape[1]):
            salida[i, j] = (X[i:i + alto, j:j + ancho] * K).sum()
    return salida


class Conv2D(nn.Module):
    """Capa convolucional: un núcleo aprendible y un sesgo escalar."""

    def __init__(self, kernel_size):
        super().__init__()
        tamaño = tuple(kernel_size)
        self.weight = nn.Parameter(torch.rand(tamaño))   # núcleo aleatorio
        self.bias = nn.Parameter(torch.zeros(1))          # sesgo en cero

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def _par(valor):
    # un entero vale para los dos ejes
    if isinstance(valor, int):
        return (valor, valor)
    return tuple(valor)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    tamaño, núcleo, relleno, paso = _par(input_size), _par(kernel_size), _par(padding), _par(stride)
    alto = (tamaño[0] + 2 * relleno[0] - núcleo[0]) // paso[0] + 1
    ancho = (tamaño[1] + 2 * relleno[1] - núcleo[1]) // paso[1] + 1
    return (alto, ancho)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    relleno_alto, relleno_ancho = _par(padding)
    paso_alto, paso_ancho = _par(stride)
    alto_núcleo, ancho_núcleo = K.shape
    # imagen rodeada de ceros
    con_relleno = torch.zeros((X.shape[0] + 2 * relleno_alto, X.shape[1] + 2 * relleno_ancho),
                              dtype=X.dtype)
    con_relleno[relleno_alto:relleno_alto + X.shape[0],
                relleno_ancho:relleno_ancho + X.shape[1]] = X
    alto_salida = (con_relleno.shape[0] - alto_núcleo) // paso_alto + 1
    ancho_salida = (con_relleno.shape[1] - ancho_núcleo) // paso_ancho + 1
    salida = torch.zeros((alto_salida, ancho_salida), dtype=torch.promote_types(X.dtype, K.dtype))
    for fila in range(alto_salida):
        for columna in range(ancho_salida):
            arriba, izquierda = fila * paso_alto, columna * paso_ancho
            ventana = con_relleno[arriba:arriba + alto_núcleo, izquierda:izquierda + ancho_núcleo]
            salida[fila, columna] = (ventana * K).sum()
    return salida
