"""Honest ps1_corr2d: Spanish identifiers with accents and Spanish comments, plain loops over torch.zeros, a start kernel from Python's random module (file saved with CRLF)."""
import random

import torch


def corr2d(X, K):
    """Correlación cruzada: el núcleo recorre la imagen y en cada posición se suma X * K."""
    núcleo = K
    alto_núcleo, ancho_núcleo = núcleo.shape
    alto_salida = X.shape[0] - alto_núcleo + 1
    ancho_salida = X.shape[1] - ancho_núcleo + 1
    tipo = torch.promote_types(X.dtype, núcleo.dtype)
    salida = torch.zeros((alto_salida, ancho_salida), dtype=tipo)
    for fila in range(alto_salida):
        for columna in range(ancho_salida):
            ventana = X[fila:fila + alto_núcleo, columna:columna + ancho_núcleo]
            salida[fila, columna] = (ventana * núcleo).sum()
    return salida


def conv2d_strict(X, K):
    # convolución "de verdad": se da vuelta el núcleo en los dos ejes
    núcleo_volteado = torch.flip(K, [0, 1])
    return corr2d(X, núcleo_volteado)


def _predicción(X, pesos):
    # misma cuenta que corr2d pero sumando copias desplazadas (rápido y derivable)
    alto, ancho = pesos.shape
    alto_salida, ancho_salida = X.shape[0] - alto + 1, X.shape[1] - ancho + 1
    salida = 0
    for a in range(alto):
        for b in range(ancho):
            salida = salida + pesos[a, b] * X[a:a + alto_salida, b:b + ancho_salida]
    return salida


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    tamaño = tuple(kernel_size)
    # valores iniciales con el módulo random de Python
    valores = [[random.gauss(0.0, 1.0) for _ in range(tamaño[1])] for _ in range(tamaño[0])]
    pesos = torch.tensor(valores, dtype=torch.float64, requires_grad=True)
    X, Y = X.double(), Y.double()
    for iteración in range(num_iters):
        pérdida = ((_predicción(X, pesos) - Y) ** 2).sum()
        pérdida.backward()
        with torch.no_grad():
            pesos -= lr * pesos.grad      # paso de descenso de gradiente
        pesos.grad.zero_()
    return pesos.detach()
