"""Fashion-MNIST sin conexión: encuentra los archivos, sirve el dataset de torchvision y carga
todo el conjunto como tensores.

(Finds Fashion-MNIST offline, serves torchvision's ``FashionMNIST`` from those files and offers a
fast whole-set tensor loader. Used by the notebooks, the reference and the grader.)

Where it looks, in order (the first two are authoritative: when given, nothing else is tried):

1. the ``root`` argument;
2. the environment variable ``FASHION_MNIST_DIR``;
3. the Debian folder ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``);
4. the user cache ``$CURSOCNN_CACHE`` or ``$XDG_CACHE_HOME/cursocnn`` (default ``~/.cache/cursocnn``),
   its ``fashion-mnist`` folder;
5. ``./data`` (where ``torchvision.datasets.FashionMNIST(root="data", download=True)`` leaves it).

A folder "holds the data" when it has the four ``*-idx?-ubyte`` files (``.gz`` or not) either
directly or under torchvision's layout ``FashionMNIST/raw/``. Since torchvision reads only the
uncompressed files under ``ROOT/FashionMNIST/raw/``, a folder in another layout is served through
a view in the user cache (symlinks, or the files decompressed once).

Nothing is downloaded unless the caller passes ``download=True`` or the environment sets
``CURSOCNN_DOWNLOAD=1``; the download goes to ``root`` when given, else to the user cache.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import torch

__all__ = [
    "DEBIAN_DIR", "ENV_DIR", "ENV_DOWNLOAD", "CLASSES", "DataNotFound",
    "cache_dir", "candidate_dirs", "find_fashion_mnist", "torchvision_root",
    "fashion_mnist", "load_tensors",
]

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_DIR = "FASHION_MNIST_DIR"
ENV_DOWNLOAD = "CURSOCNN_DOWNLOAD"
ENV_CACHE = "CURSOCNN_CACHE"

FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)

#: Fashion-MNIST's class names, in label order (Spanish, for plots).
CLASSES = ("camiseta/top", "pantalón", "jersey", "vestido", "abrigo",
           "sandalia", "camisa", "zapatilla", "bolso", "botín")


class DataNotFound(FileNotFoundError):
    """Fashion-MNIST was not found where we looked (and downloading was not allowed)."""

    def __init__(self, looked_in, download_error=None):
        self.looked_in = [str(p) for p in looked_in]
        places = "\n".join(f"  - {p}" for p in self.looked_in) or "  (ningún lugar / nowhere)"
        msg = (
            "No se encontró Fashion-MNIST. Se buscaron los archivos train-images-idx3-ubyte(.gz), "
            "train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) y t10k-labels-idx1-ubyte(.gz) en:\n"
            f"{places}\n"
            "Para obtenerlos:\n"
            "  * en Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist  "
            f"(los instala en {DEBIAN_DIR});\n"
            f"  * o indicar la carpeta que los contiene con root=... o la variable {ENV_DIR};\n"
            f"  * o, con conexión a internet, permitir la descarga: download=True o {ENV_DOWNLOAD}=1.\n"
            "\n"
            "Fashion-MNIST was not found. We looked for the four *-idx?-ubyte(.gz) files in the places above. "
            "To get them: `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), point root=... or "
            f"{ENV_DIR} at a folder holding them, or allow a download (download=True or {ENV_DOWNLOAD}=1)."
        )
        if download_error is not None:
            msg += f"\n\nLa descarga falló / the download failed: {download_error}"
        super().__init__(msg)


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "si", "sí", "on")


def cache_dir() -> Path:
    """The user cache of the course kit (created on demand; a temp folder if home is read-only)."""
    base = os.environ.get(ENV_CACHE)
    if base:
        path = Path(base).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cursocnn"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    path = Path(tempfile.gettempdir()) / f"cursocnn-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_cache_dir(dataset: str) -> Path:
    """Where a data set is kept for this user: $CURSOCNN_CACHE/<dataset>, else the XDG cache."""
    base = os.environ.get(ENV_CACHE)
    if base:
        return Path(base).expanduser() / dataset
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cursocnn" / dataset


def search_dirs(root, env_dir: str, defaults) -> tuple[list[Path], bool]:
    """(folders to look in, in order; whether they are authoritative: root or env var given)."""
    if root is not None:
        return [Path(root).expanduser()], True
    env = os.environ.get(env_dir)
    if env:
        return [Path(env).expanduser()], True
    return list(defaults), False


def _default_cache_candidate() -> Path:
    return user_cache_dir("fashion-mnist")


def candidate_dirs(root=None) -> tuple[list[Path], bool]:
    """(folders to look in, in order; whether they are authoritative: root or env var given)."""
    return search_dirs(root, ENV_DIR, [DEBIAN_DIR, _default_cache_candidate(), Path.cwd() / "data"])


def _files_in(folder: Path) -> dict[str, Path] | None:
    """{base name: path} when folder holds the four files (plain preferred over .gz), else None."""
    found = {}
    for name in FILES:
        plain, gz = folder / name, folder / (name + ".gz")
        if plain.is_file():
            found[name] = plain
        elif gz.is_file():
            found[name] = gz
        else:
            return None
    return found


def _locate(folder: Path) -> dict[str, Path] | None:
    for sub in (folder, folder / "FashionMNIST" / "raw"):
        files = _files_in(sub)
        if files is not None:
            return files
    return None


def find_fashion_mnist(root=None) -> dict[str, Path]:
    """{base name: file} of the four Fashion-MNIST files; raises DataNotFound (no download)."""
    folders, _ = candidate_dirs(root)
    for folder in folders:
        files = _locate(folder)
        if files is not None:
            return files
    raise DataNotFound(folders)


def _materialise(src: Path, dst: Path) -> None:
    """dst = src uncompressed: a symlink for a plain file, a one-off decompression for .gz."""
    if dst.exists():
        try:
            if dst.stat().st_mtime >= src.stat().st_mtime and dst.stat().st_size > 0:
                return
        except OSError:
            pass
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        if src.suffix == ".gz":
            with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        else:
            os.symlink(src.resolve(), tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def torchvision_root(root=None, download: bool = False) -> Path:
    """A folder ROOT such that ``torchvision.datasets.FashionMNIST(ROOT)`` finds the data.

    Uses the data's own folder when it already has torchvision's layout with plain files;
    otherwise builds ``<cache>/torchvision/<key>/FashionMNIST/raw`` from the files found.
    With ``download`` (or ``CURSOCNN_DOWNLOAD=1``) and nothing found, lets torchvision download
    into ``root`` (or the user cache)."""
    download = download or _truthy(os.environ.get(ENV_DOWNLOAD, ""))
    try:
        files = find_fashion_mnist(root)
    except DataNotFound as missing:
        if not download:
            raise
        from torchvision.datasets import FashionMNIST

        target = Path(root).expanduser() if root is not None else _default_cache_candidate()
        try:
            for train in (True, False):
                FashionMNIST(str(target), train=train, download=True)
        except Exception as exc:  # network errors come as RuntimeError/URLError/OSError
            raise DataNotFound(missing.looked_in + [target], download_error=exc) from exc
        return target

    raw = {f.parent for f in files.values()}
    if len(raw) == 1 and all(f.suffix != ".gz" for f in files.values()):
        folder = raw.pop()
        if folder.name == "raw" and folder.parent.name == "FashionMNIST":
            return folder.parent.parent
    source = next(iter(files.values())).parent.resolve()
    key = hashlib.sha1(str(source).encode()).hexdigest()[:12]
    view = cache_dir() / "torchvision" / key
    raw_dir = view / "FashionMNIST" / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, path in files.items():
        _materialise(path, raw_dir / name)
    return view


def fashion_mnist(train: bool = True, root=None, download: bool = False, transform=None,
                  target_transform=None):
    """``torchvision.datasets.FashionMNIST`` served from the local files (see the module doc)."""
    from torchvision.datasets import FashionMNIST

    ds = FashionMNIST(str(torchvision_root(root, download)), train=train, transform=transform,
                      target_transform=target_transform, download=False)
    ds.classes_es = list(CLASSES)
    return ds


_RAW_CACHE: dict = {}


def load_tensors(train: bool = True, root=None, download: bool = False):
    """The whole split as tensors: X float32 [N, 1, 28, 28] in [0, 1], y int64 [N].

    No per-sample decoding: torchvision reads the idx files into one uint8 tensor, converted at
    once. The uint8 tensors are kept in memory per process; every call returns new tensors."""
    tv_root = torchvision_root(root, download)
    key = (str(Path(tv_root).resolve()), bool(train))
    hit = _RAW_CACHE.get(key)
    if hit is None:
        from torchvision.datasets import FashionMNIST

        ds = FashionMNIST(str(tv_root), train=train, download=False)
        hit = _RAW_CACHE[key] = (ds.data, ds.targets)
    data, targets = hit
    X = data.unsqueeze(1).to(torch.float32).div_(255.0)
    y = targets.to(torch.int64, copy=True)
    return X, y
