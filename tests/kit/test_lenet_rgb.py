"""The unit's CIFAR-10 exercise without CIFAR-10: the reference lenet_rgb trains on torchvision's
FakeData (3x32x32, 10 classes) with the course's own train_epoch/evaluate, lenet_wide and
lenet_rgb have the sizes the course states, and cursocnn.cifar10 reads CIFAR-10's batch files
(here small ones written in its format), looks only where it should and downloads only when
allowed."""
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from cursocnn import cifar10
from reference import ps5_lenet as ref


def _fake_loader(n=96, batch_size=32, seed=3):
    from torchvision.datasets import FakeData
    from torchvision.transforms import ToTensor

    data = FakeData(size=n, image_size=(3, 32, 32), num_classes=10, transform=ToTensor(),
                    random_offset=seed)
    return DataLoader(data, batch_size=batch_size)


def test_lenet_rgb_trains_on_fake_cifar():
    torch.manual_seed(0)
    loader = _fake_loader()
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (32, 3, 32, 32) and yb.dtype == torch.int64
    net = ref.lenet_rgb()
    before = [p.detach().clone() for p in net.parameters()]
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    start_loss, _ = ref.evaluate(net, loader, criterion, "cpu")
    losses = [ref.train_epoch(net, loader, optimizer, criterion, "cpu")[0] for _ in range(8)]
    end_loss, end_acc = ref.evaluate(net, loader, criterion, "cpu")
    assert all(not torch.equal(a, p) for a, p in zip(before, net.parameters()))
    assert losses[-1] < losses[0]
    assert end_loss < start_loss - 0.3, (start_loss, end_loss)   # it fits the 96 fake images
    assert end_acc > 0.3


@pytest.mark.parametrize("name, shape, params, flat", [
    ("lenet_wide", (1, 1, 28, 28), 292_660, 1250),
    ("lenet_rgb", (1, 3, 32, 32), 62_006, 400),
])
def test_exercise_networks_have_the_course_sizes(name, shape, params, flat):
    net = getattr(ref, name)()
    assert sum(p.numel() for p in net.parameters()) == params
    table = dict((n, s) for n, s in ref.layer_shapes(net, shape) if n == "Flatten")
    assert table["Flatten"] == (1, flat)
    assert tuple(net(torch.zeros((2,) + shape[1:])).shape) == (2, 10)
    with pytest.raises(RuntimeError):     # the wrong kind of image does not fit
        net(torch.zeros(1, 4 - shape[1], shape[2], shape[3]))


# ----------------------------------------------------------------------------- the loader

def _write_batches(folder, n=4, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in cifar10.TRAIN_FILES + cifar10.TEST_FILES:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        with open(folder / name, "wb") as fh:
            pickle.dump({b"data": data, b"labels": labels, b"batch_label": name.encode()}, fh)
        written[name] = (data, labels)
    return written


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No CIFAR-10 in the default places, no download allowed, nothing downloaded."""
    monkeypatch.delenv(cifar10.ENV_DIR, raising=False)
    monkeypatch.delenv("CURSOCNN_DOWNLOAD", raising=False)
    monkeypatch.setenv("CURSOCNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    import torchvision.datasets

    def no_download(*args, **kwargs):
        raise AssertionError("cursocnn.cifar10 tried to download")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", no_download)
    return tmp_path


def test_reads_the_batches_in_torchvision_layout(nowhere):
    written = _write_batches(nowhere / "mis_datos" / cifar10.SUBDIR)
    X, y = cifar10.load_cifar10(train=True, root=nowhere / "mis_datos")
    assert X.dtype == torch.float32 and tuple(X.shape) == (20, 3, 32, 32)
    assert y.dtype == torch.int64 and y.tolist() == sum((written[f][1] for f in cifar10.TRAIN_FILES), [])
    data, _ = written["data_batch_2"]
    # CIFAR-10 stores each image as 1024 red, then 1024 green, then 1024 blue values, row by row
    assert X[4 + 1, 1, 5, 7] == pytest.approx(data[1, 1024 + 5 * 32 + 7] / 255.0)
    assert X[4 + 1, 2, 31, 0] == pytest.approx(data[1, 2048 + 31 * 32] / 255.0)
    X_test, y_test = cifar10.load_cifar10(train=False, root=nowhere / "mis_datos")
    assert tuple(X_test.shape) == (4, 3, 32, 32) and y_test.tolist() == written["test_batch"][1]


def test_default_places_and_env_var(nowhere, monkeypatch):
    _write_batches(nowhere / "cache" / "cifar-10" / cifar10.SUBDIR)
    assert cifar10.find_cifar10() == nowhere / "cache" / "cifar-10" / cifar10.SUBDIR
    _write_batches(nowhere / "plano", seed=1)                 # the batch files right there
    monkeypatch.setenv(cifar10.ENV_DIR, str(nowhere / "plano"))
    assert cifar10.find_cifar10() == nowhere / "plano"
    monkeypatch.setenv(cifar10.ENV_DIR, str(nowhere / "vacía"))   # authoritative: no fallback
    with pytest.raises(cifar10.Cifar10NotFound):
        cifar10.find_cifar10()


def test_missing_data_is_a_clear_spanish_error_and_no_download(nowhere):
    _write_batches(nowhere / "data" / "incompleto")
    (nowhere / "data" / "incompleto" / "test_batch").unlink()
    with pytest.raises(cifar10.Cifar10NotFound) as info:
        cifar10.load_cifar10(train=False)
    message = str(info.value)
    assert "No se encontró CIFAR-10" in message and str(nowhere / "data") in message
    assert "CURSOCNN_DOWNLOAD=1" in message


def test_download_only_when_allowed(nowhere, monkeypatch):
    calls = []

    class FakeCIFAR10:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            _write_batches(Path(root) / cifar10.SUBDIR, n=2)

    import torchvision.datasets
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    with pytest.raises(cifar10.Cifar10NotFound):
        cifar10.load_cifar10()
    assert calls == []
    monkeypatch.setenv("CURSOCNN_DOWNLOAD", "1")
    X, y = cifar10.load_cifar10(train=False)
    assert tuple(X.shape) == (2, 3, 32, 32) and len(y) == 2
    assert calls and all(download for _, _, download in calls)
    assert calls[0][0] == str(nowhere / "cache" / "cifar-10")


def test_a_file_that_is_not_a_batch_is_reported(nowhere):
    folder = nowhere / "raro"
    _write_batches(folder)
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump({"otra": 1}, fh)
    with pytest.raises(ValueError, match="no parece un lote de CIFAR-10"):
        cifar10.load_cifar10(train=False, root=folder)


def test_describe_model_materialises_lazy_layers_with_the_given_input():
    from autograder.sandboxed.worker.probes_model import describe_model

    def lazy_rgb():
        return nn.Sequential(nn.LazyConv2d(6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.LazyConv2d(16, 5),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.LazyLinear(120), nn.ReLU(),
                             nn.LazyLinear(84), nn.ReLU(), nn.LazyLinear(10))

    ns = {"lenet_rgb": lazy_rgb}
    desc = describe_model(ns, "lenet_rgb", (1, 3, 32, 32))
    assert desc["materialise_error"] is None
    assert desc["layers"][0]["hparams"]["in_channels"] == 3
    assert desc["n_params"] == sum(p.numel() for p in ref.lenet_rgb().parameters())
    grey = describe_model(ns, "lenet_rgb")            # the default input is Fashion-MNIST's
    assert grey["layers"][0]["hparams"]["in_channels"] == 1
