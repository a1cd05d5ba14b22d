"""Third-party style (d2l's first edition, which the course followed): the course_style.py
submission with d2l's custom Reshape module in front of both LeNets. The describing probes see
Reshape act as the identity on the contract's input, so the suites and the training check leave
it out (autograder/layer_behaviour.py)."""

import torch
from torch import nn


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 1, 28, 28)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


def lenet():
    net = nn.Sequential(
        Reshape(),
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    net.apply(init_weights)
    return net


def lenet_modern():
    net = nn.Sequential(
        Reshape(),
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))
    net.apply(init_weights)
    return net


def lenet_wide():
    net = nn.Sequential(
        nn.Conv2d(1, 20, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(20, 50, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(50 * 5 * 5, 200), nn.ReLU(),
        nn.Linear(200, 80), nn.ReLU(),
        nn.Linear(80, 10))
    net.apply(init_weights)
    return net


def lenet_rgb():
    net = nn.Sequential(
        nn.Conv2d(3, 6, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))
    net.apply(init_weights)
    return net


def layer_shapes(net, input_shape):
    X = torch.rand(size=input_shape, dtype=torch.float32)
    formas = []
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, 'forma de salida: \t', X.shape)
        formas.append((layer.__class__.__name__, tuple(X.shape)))
    return formas


def accuracy(y_hat, y):
    return (y_hat.argmax(dim=1) == y).float().mean()


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    perdidas, exactitudes = [], []
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        y_hat = model(X)
        l = criterion(y_hat, y)
        l.backward()
        optimizer.step()
        perdidas.append(l.item())
        exactitudes.append(accuracy(y_hat, y).item())
    return sum(perdidas) / len(perdidas), sum(exactitudes) / len(exactitudes)


def evaluate(model, loader, criterion, device):
    model.eval()
    perdidas, exactitudes = [], []
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)
            perdidas.append(criterion(y_hat, y).item())
            exactitudes.append(accuracy(y_hat, y).item())
    return sum(perdidas) / len(perdidas), sum(exactitudes) / len(exactitudes)
