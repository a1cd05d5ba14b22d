"""CIFAR-10 sin conexión, para el ejercicio extra de LeNet en color (tarea 5).

(Finds CIFAR-10 offline in torchvision's "python version" layout and loads a whole split as
tensors. Nothing is downloaded unless asked for, as in ``cursocnn.data``.)

Where it looks, in order (the first two are authoritative: when given, nothing else is tried):

1. the ``root`` argument;
2. the environment variable ``CIFAR10_DIR``;
3. the user cache ``$CURSOCNN_CACHE`` or ``$XDG_CACHE_HOME/cursocnn`` (default
   ``~/.cache/cursocnn``), its ``cifar-10`` folder;
4. ``./data`` (where ``torchvision.datasets.CIFAR10(root="data", download=True)`` leaves it).

A folder "holds the data" when it has the batch files ``data_batch_1`` .. ``data_batch_5`` and
``test_batch`` either directly or under ``cifar-10-batches-py/`` (torchvision's layout). The
batches are Python pickles, as CIFAR-10 distributes them: load only files you trust (your own
copy of the data set).

Nothing is downloaded unless the caller passes ``download=True`` or the environment sets
``CURSOCNN_DOWNLOAD=1``; then torchvision downloads into ``root`` (or the user cache).
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import torch

from .data import ENV_DOWNLOAD, _truthy, search_dirs, user_cache_dir

__all__ = ["ENV_DIR", "CLASSES", "Cifar10NotFound", "candidate_dirs", "find_cifar10", "load_cifar10"]

ENV_DIR = "CIFAR10_DIR"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
SUBDIR = "cifar-10-batches-py"

#: CIFAR-10's class names, in label order (Spanish, for plots).
CLASSES = ("avión", "automóvil", "pájaro", "gato", "ciervo",
           "perro", "rana", "caballo", "barco", "camión")


class Cifar10NotFound(FileNotFoundError):
    """CIFAR-10 was not found where we looked (and downloading was not allowed)."""

    def __init__(self, looked_in, download_error=None):
        self.looked_in = [str(p) for p in looked_in]
        places = "\n".join(f"  - {p}" for p in self.looked_in) or "  (ningún lugar / nowhere)"
        msg = (
            "No se encontró CIFAR-10 (los archivos data_batch_1 … data_batch_5 y test_batch, "
            f"sueltos o dentro de {SUBDIR}/). Se buscó en:\n{places}\n"
            f"Para obtenerlo: indica la carpeta con root=... o la variable {ENV_DIR}, o, con "
            f"conexión a internet, permite la descarga: download=True o {ENV_DOWNLOAD}=1.\n\n"
            "CIFAR-10 was not found in the places above. Point root=... or "
            f"{ENV_DIR} at it, or allow a download (download=True or {ENV_DOWNLOAD}=1)."
        )
        if download_error is not None:
            msg += f"\n\nLa descarga falló / the download failed: {download_error}"
        super().__init__(msg)


def _default_cache_candidate() -> Path:
    return user_cache_dir("cifar-10")


def candidate_dirs(root=None) -> tuple[list[Path], bool]:
    """(folders to look in, in order; whether they are authoritative: root or env var given)."""
    return search_dirs(root, ENV_DIR, [_default_cache_candidate(), Path.cwd() / "data"])


def _batches_in(folder: Path) -> Path | None:
    for sub in (folder, folder / SUBDIR):
        if all((sub / name).is_file() for name in TRAIN_FILES + TEST_FILES):
            return sub
    return None


def find_cifar10(root=None) -> Path:
    """The folder holding CIFAR-10's batch files; raises Cifar10NotFound (no download)."""
    folders, _ = candidate_dirs(root)
    for folder in folders:
        found = _batches_in(folder)
        if found is not None:
            return found
    raise Cifar10NotFound(folders)


def _download(root) -> Path:
    from torchvision.datasets import CIFAR10

    target = Path(root).expanduser() if root is not None else _default_cache_candidate()
    target.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        CIFAR10(str(target), train=train, download=True)
    return target / SUBDIR


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as fh:
        batch = pickle.load(fh, encoding="bytes")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise ValueError(f"{path} no parece un lote de CIFAR-10 (faltan 'data' o 'labels')")
    data = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32)
    return data, np.asarray(labels, dtype=np.int64)


def load_cifar10(train: bool = True, root=None, download: bool = False):
    """The whole split as tensors: X float32 [N, 3, 32, 32] in [0, 1], y int64 [N]."""
    download = download or _truthy(os.environ.get(ENV_DOWNLOAD, ""))
    try:
        folder = find_cifar10(root)
    except Cifar10NotFound as missing:
        if not download:
            raise
        try:
            folder = _download(root)
        except Exception as exc:  # network errors come as RuntimeError/URLError/OSError
            raise Cifar10NotFound(missing.looked_in, download_error=exc) from exc
    parts = [_read_batch(folder / name) for name in (TRAIN_FILES if train else TEST_FILES)]
    X = torch.from_numpy(np.concatenate([p[0] for p in parts])).to(torch.float32).div_(255.0)
    y = torch.from_numpy(np.concatenate([p[1] for p in parts]))
    return X, y

