"""cursocnn.data: finding Fashion-MNIST offline, serving torchvision's dataset, fast tensors."""
import gzip
import os
import time
from pathlib import Path

import pytest
import torch

from cursocnn import data

GZ = [f + ".gz" for f in data.FILES]
DEBIAN = data.DEBIAN_DIR  # captured before any monkeypatching


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No FASHION_MNIST_DIR/CURSOCNN_DOWNLOAD from the caller; a private cache per test."""
    monkeypatch.delenv(data.ENV_DIR, raising=False)
    monkeypatch.delenv(data.ENV_DOWNLOAD, raising=False)
    monkeypatch.setenv(data.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # ./data must not exist
    data._RAW_CACHE.clear()
    yield
    data._RAW_CACHE.clear()


def test_debian_folder_is_installed():
    assert all((data.DEBIAN_DIR / f).is_file() for f in GZ), (
        "the project needs the Debian package dataset-fashion-mnist")


def test_finds_the_debian_files():
    files = data.find_fashion_mnist()
    assert set(files) == set(data.FILES)
    assert {p.parent for p in files.values()} == {data.DEBIAN_DIR}
    assert all(p.suffix == ".gz" for p in files.values())


def test_serves_torchvision_fashion_mnist_from_the_debian_files(tmp_path):
    from torchvision.datasets import FashionMNIST
    from torchvision.transforms import ToTensor

    train = data.fashion_mnist(train=True, transform=ToTensor())
    test = data.fashion_mnist(train=False)
    assert isinstance(train, FashionMNIST) and isinstance(test, FashionMNIST)
    assert (len(train), len(test)) == (60000, 10000)
    x, label = train[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert label == 9  # the first training image is an ankle boot
    img, label = test[1]
    assert img.size == (28, 28) and label == 2  # PIL image without a transform; a pullover
    # torchvision needed a ROOT/FashionMNIST/raw view: it was built in the private cache
    assert Path(train.root).is_relative_to(tmp_path / "cache")
    raw = Path(train.root) / "FashionMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(data.FILES)


def test_load_tensors_shapes_dtypes_range_and_speed():
    start = time.perf_counter()
    X, y = data.load_tensors(train=True)
    Xt, yt = data.load_tensors(train=False)
    elapsed = time.perf_counter() - start
    assert X.shape == (60000, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert Xt.shape == (10000, 1, 28, 28) and yt.shape == (10000,)
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    assert sorted(torch.unique(y).tolist()) == list(range(10))
    assert torch.bincount(y).tolist() == [6000] * 10
    assert elapsed < 10, f"load_tensors took {elapsed:.1f} s"  # ~1 s here, first time included
    again, _ = data.load_tensors(train=True)
    assert again is not X and torch.equal(again, X)  # fresh tensors, same content


def test_load_tensors_matches_the_dataset_with_totensor():
    from torchvision.transforms import ToTensor

    X, y = data.load_tensors(train=False)
    ds = data.fashion_mnist(train=False, transform=ToTensor())
    for i in (0, 1, 4321, 9999):
        xi, yi = ds[i]
        assert torch.equal(X[i], xi) and int(y[i]) == yi


def test_clear_message_for_an_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DataNotFound) as info:
        data.load_tensors(train=True, root=empty)
    msg = str(info.value)
    assert str(empty) in msg
    assert "No se encontró Fashion-MNIST" in msg and "was not found" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "download=True" in msg
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(data.DataNotFound):
        data.fashion_mnist(train=False, root=empty)


def _torchvision_layout_with_gz(folder: Path):
    raw = folder / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in GZ:
        os.symlink(data.DEBIAN_DIR / f, raw / f)
    return raw


def test_env_var_overrides_and_torchvision_layout(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    raw = _torchvision_layout_with_gz(mine)
    monkeypatch.setenv(data.ENV_DIR, str(mine))
    files = data.find_fashion_mnist()
    assert {p.parent for p in files.values()} == {raw}
    X, y = data.load_tensors(train=False)
    assert X.shape == (10000, 1, 28, 28)
    # the env var is authoritative: pointed at an empty folder, nothing else is tried
    empty = tmp_path / "nothing"
    empty.mkdir()
    monkeypatch.setenv(data.ENV_DIR, str(empty))
    with pytest.raises(data.DataNotFound) as info:
        data.find_fashion_mnist()
    assert str(empty) in str(info.value)
    # an explicit root wins over the env var
    assert {p.parent for p in data.find_fashion_mnist(root=mine).values()} == {raw}


def test_plain_torchvision_root_is_used_as_is(tmp_path):
    root = tmp_path / "tv"
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in data.FILES:
        if "t10k" in f:
            with gzip.open(data.DEBIAN_DIR / (f + ".gz")) as src:
                (raw / f).write_bytes(src.read())
        else:
            os.symlink(data.DEBIAN_DIR / (f + ".gz"), raw / (f + ".gz"))
    # mixed plain/gz: served through a cache view
    assert data.torchvision_root(root) != root
    for f in data.FILES:
        if "train" in f:
            with gzip.open(data.DEBIAN_DIR / (f + ".gz")) as src:
                (raw / f).write_bytes(src.read())
    assert data.torchvision_root(root) == root  # all plain, torchvision's layout: no copy
    assert len(data.fashion_mnist(train=False, root=root)) == 10000


def test_user_cache_is_searched(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")
    folders, authoritative = data.candidate_dirs()
    assert not authoritative
    assert folders[1] == tmp_path / "cache" / "fashion-mnist"
    with pytest.raises(data.DataNotFound):
        data.find_fashion_mnist()
    cache = tmp_path / "cache" / "fashion-mnist"
    cache.mkdir(parents=True)
    for f in GZ:
        os.symlink(DEBIAN / f, cache / f)
    assert {p.parent for p in data.find_fashion_mnist().values()} == {cache}
