"""Mutant: lenet_modern subclasses nn.Sequential but overrides forward: what it computes is not
what its list of layers computes, so the grader cannot rebuild it from the layers."""
from torch import nn


class ScaledLeNet(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=2, stride=2),
                         nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))

    def forward(self, x):
        return 0.5 * super().forward(x)


def lenet_modern():
    return ScaledLeNet()
