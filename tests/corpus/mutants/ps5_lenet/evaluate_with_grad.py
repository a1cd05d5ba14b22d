"""Mutant of ps5_lenet: evaluates without torch.no_grad().

target: evaluate
misconception: grad_enabled_eval
"""
import torch
from torch import nn


def lenet():
    """LeNet-5 (variante de d2l) para imágenes de 1x28x28 y 10 clases; devuelve logits."""
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
    return net


def lenet_modern():
    """LeNet con ReLU en lugar de Sigmoid y MaxPool2d en lugar de AvgPool2d."""
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
    return net


def layer_shapes(net, input_shape):
    """[(nombre de la clase de la capa, forma de su salida), ...] para una entrada aleatoria."""
    X = torch.rand(size=input_shape)
    shapes = []
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            shapes.append((layer.__class__.__name__, tuple(X.shape)))
    return shapes


def accuracy(logits, y):
    """Fracción de filas cuyo argmax coincide con la etiqueta y."""
    return (logits.argmax(dim=1) == y).float().mean().item()


def train_epoch(model, loader, optimizer, criterion, device):
    """Una época de entrenamiento; devuelve (pérdida media por lote, exactitud media por lote)."""
    model.train()
    losses, accs = [], []
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        logits = model(X)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accs.append(accuracy(logits.detach(), y))
    return sum(losses) / len(losses), sum(accs) / len(accs)


def evaluate(model, loader, criterion, device):
    """Evalúa sin gradientes; devuelve (pérdida media por lote, exactitud media por lote)."""
    model.eval()
    losses, accs = [], []
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        logits = model(X)
        losses.append(criterion(logits, y).item())
        accs.append(accuracy(logits.detach(), y))
    return sum(losses) / len(losses), sum(accs) / len(accs)


def lenet_wide():
    """LeNet moderna más ancha: 20 y 50 canales convolucionales, 200 y 80 unidades ocultas."""
    net = nn.Sequential(
        nn.Conv2d(1, 20, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(20, 50, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(50 * 5 * 5, 200), nn.ReLU(),
        nn.Linear(200, 80), nn.ReLU(),
        nn.Linear(80, 10),
    )
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
    return net


def lenet_rgb():
    """LeNet moderna para imágenes en color de 3x32x32 (CIFAR-10): sin relleno en la primera
    convolución."""
    net = nn.Sequential(
        nn.Conv2d(3, 6, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
    return net
