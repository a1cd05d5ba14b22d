"""Third-party style (Dive into Deep Learning, 2nd edition): lazy layers materialised by one
forward pass, then init_cnn applied with net.apply; accuracy returns compare.mean() (a 0-d
tensor); the loops accumulate with float() into a metric list; layer_shapes keeps X.shape."""
import torch
from torch import nn


def init_cnn(module):  #@save
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


def _build(layers, input_shape=(1, 1, 28, 28)):
    net = nn.Sequential(*layers)
    net(torch.zeros(input_shape))  # the lazy layers learn their input sizes
    net.apply(init_cnn)
    return net


def lenet(num_classes=10):
    return _build([
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), nn.Sigmoid(),
        nn.LazyLinear(84), nn.Sigmoid(),
        nn.LazyLinear(num_classes)])


def lenet_modern(num_classes=10):
    return _build([
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), nn.ReLU(),
        nn.LazyLinear(84), nn.ReLU(),
        nn.LazyLinear(num_classes)])


def lenet_wide(num_classes=10):
    return _build([
        nn.LazyConv2d(20, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(50, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(200), nn.ReLU(),
        nn.LazyLinear(80), nn.ReLU(),
        nn.LazyLinear(num_classes)])


def lenet_rgb(num_classes=10):
    return _build([
        nn.LazyConv2d(6, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), nn.ReLU(),
        nn.LazyLinear(84), nn.ReLU(),
        nn.LazyLinear(num_classes)], input_shape=(1, 3, 32, 32))


def layer_shapes(net, input_shape):
    X = torch.randn(*input_shape)
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append((layer.__class__.__name__, X.shape))
    return shapes


def accuracy(Y_hat, Y):
    """Fraction of correct predictions."""
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    preds = Y_hat.argmax(axis=1).type(Y.dtype)
    compare = (preds == Y.reshape(-1)).type(torch.float32)
    return compare.mean()


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    metric = [0.0, 0.0, 0]  # sum of losses, sum of accuracies, number of batches
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        y_hat = model(X)
        l = criterion(y_hat, y)
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
        with torch.no_grad():
            metric[0] += float(l)
            metric[1] += float(accuracy(y_hat, y))
            metric[2] += 1
    return metric[0] / metric[2], metric[1] / metric[2]


def evaluate(model, loader, criterion, device):
    if isinstance(model, nn.Module):
        model.eval()  # Set the model to evaluation mode
    metric = [0.0, 0.0, 0]
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)
            metric[0] += float(criterion(y_hat, y))
            metric[1] += float(accuracy(y_hat, y))
            metric[2] += 1
    return metric[0] / metric[2], metric[1] / metric[2]
