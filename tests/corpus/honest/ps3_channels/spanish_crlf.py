"""Honest ps3_channels: Spanish identifiers with accents and Spanish comments, plain loops over channels and positions with torch.zeros (file saved with CRLF)."""
import torch


def corr2d(X, K):
    """Correlación cruzada de un solo canal."""
    alto, ancho = K.shape
    salida = torch.zeros((X.shape[0] - alto + 1, X.shape[1] - ancho + 1),
                         dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(salida.shape[0]):
        for j in range(salida.shape[1]):
            salida[i, j] = (X[i:i + alto, j:j + ancho] * K).sum()
    return salida


def corr2d_multi_in(X, K):
    # se correlaciona cada canal con su núcleo y se suman los resultados
    canales = X.shape[0]
    suma = corr2d(X[0], K[0])
    for canal in range(1, canales):
        suma = suma + corr2d(X[canal], K[canal])
    return suma


def corr2d_multi_in_out(X, K):
    # un núcleo de (c_i, k_h, k_w) por cada canal de salida
    canales_salida = K.shape[0]
    primera = corr2d_multi_in(X, K[0])
    salida = torch.zeros((canales_salida,) + tuple(primera.shape), dtype=primera.dtype)
    salida[0] = primera
    for canal in range(1, canales_salida):
        salida[canal] = corr2d_multi_in(X, K[canal])
    return salida


def corr2d_multi_in_out_1x1(X, K):
    # la convolución 1x1 es una capa densa aplicada en cada píxel: un solo producto de matrices
    canales_entrada, alto, ancho = X.shape
    canales_salida = K.shape[0]
    tipo = torch.promote_types(X.dtype, K.dtype)
    píxeles = X.to(tipo).reshape(canales_entrada, alto * ancho)
    pesos = K.to(tipo).reshape(canales_salida, canales_entrada)
    return (pesos @ píxeles).reshape(canales_salida, alto, ancho)
