"""Una entrega con los nombres en castellano: nada se llama como las funciones calificadas."""
import torch


def correlacion(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def convolucion_estricta(X, K):
    return correlacion(X, K.flip(0).flip(1))
