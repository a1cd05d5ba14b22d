"""Alternative ps5_lenet: LeNet as an nn.Sequential subclass with lazy layers and nested blocks,
layer_shapes returning torch.Size, accuracy as a 0-d tensor, loops with sample-weighted means;
lenet_wide as lazy nested blocks, lenet_rgb as a subclass with padding='valid'."""
import torch
from torch import nn


def block(act, pool, out, **kw):
    return nn.Sequential(nn.LazyConv2d(out, kernel_size=5, **kw), act(), pool(kernel_size=2, stride=2))


class LeNet(nn.Sequential):
    def __init__(self, act=nn.Sigmoid, pool=nn.AvgPool2d):
        super().__init__(block(act, pool, 6, padding=2), block(act, pool, 16), nn.Flatten(),
                         nn.LazyLinear(120), act(), nn.LazyLinear(84), act(), nn.LazyLinear(10))
        self(torch.zeros(1, 1, 28, 28))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)


def lenet():
    return LeNet()


def lenet_modern():
    return LeNet(nn.ReLU, nn.MaxPool2d)


def layer_shapes(net, input_shape):
    X, out = torch.randn(*input_shape), []
    for layer in net:
        X = layer(X)
        out.append((type(layer).__name__, X.shape))
    return out


def accuracy(logits, y):
    return (torch.argmax(logits, 1) == y).sum() / y.numel()


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total_loss = total_acc = n = 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        out = model(X)
        loss = criterion(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        total_acc += float(accuracy(out, y)) * len(y)
        n += len(y)
    return total_loss / n, total_acc / n


@torch.no_grad()
def evaluate(model, loader, criterion, device):
    model.eval()
    losses, accs = [], []
    for X, y in loader:
        out = model(X.to(device))
        losses.append(float(criterion(out, y.to(device))))
        accs.append(float(accuracy(out, y.to(device))))
    return float(torch.tensor(losses).mean()), float(torch.tensor(accs).mean())


def lenet_wide():
    net = nn.Sequential(block(nn.ReLU, nn.MaxPool2d, 20, padding=2), block(nn.ReLU, nn.MaxPool2d, 50),
                        nn.Flatten(), nn.LazyLinear(200), nn.ReLU(), nn.LazyLinear(80), nn.ReLU(),
                        nn.LazyLinear(10))
    net(torch.zeros(1, 1, 28, 28))
    return net


class ColourLeNet(nn.Sequential):
    def __init__(self):
        super().__init__(block(nn.ReLU, nn.MaxPool2d, 6, padding="valid"), block(nn.ReLU, nn.MaxPool2d, 16),
                         nn.Flatten(), nn.LazyLinear(120), nn.ReLU(), nn.LazyLinear(84), nn.ReLU(),
                         nn.LazyLinear(10))
        self(torch.zeros(2, 3, 32, 32))


def lenet_rgb():
    return ColourLeNet()
