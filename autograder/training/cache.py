"""Training results cached on disk: the trained model depends only on the rebuilt architecture,
the recipe, the seed, the device and the data, so a later grading of any submission with the same
LeNet reuses the result instead of training again.

torch (and the kit's data module, which imports it) is imported where a key or the data is
needed: the CLI reads this module's names while it still checks its options, and a usage error
should not cost torch's start-up."""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import time
from pathlib import Path

from autograder.text.i18n import tr
from autograder.training.progress import log

# ---------------------------------------------------------------------------------------------
# The training cache.

ENV_CACHE = "AUTOGRADER_TRAINING_CACHE"
#: Set by `autograder grade --force`: entries written before this Unix time are not reused.
ENV_CACHE_SINCE = "AUTOGRADER_TRAINING_CACHE_SINCE"
CACHE_FORMAT = 1
_OFF = ("off", "none", "0", "no")


def default_cache_dir() -> Path | None:
    """$AUTOGRADER_TRAINING_CACHE ("off" disables the cache), else
    $XDG_CACHE_HOME/cnn-autograder/training (default ~/.cache/cnn-autograder/training).
    A trusted-side folder: the sandbox mounts nothing of it, so student code cannot write it."""
    env = os.environ.get(ENV_CACHE)
    if env is not None and env.strip().lower() in _OFF:
        return None
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cnn-autograder" / "training"


def data_fingerprint() -> list | None:
    """Names, sizes and modification times of the Fashion-MNIST files training reads (None when
    they cannot be found: then nothing is cached)."""
    from cursocnn import data as cdata

    try:
        files = cdata.find_fashion_mnist()
    except Exception:  # noqa: BLE001 - DataNotFound, unreadable folder
        return None
    out = []
    for name in sorted(files):
        try:
            st = Path(files[name]).stat()
        except OSError:
            return None
        out.append([name, Path(files[name]).name, st.st_size, st.st_mtime_ns])
    return out


def _is_number(x, allow_none=False):
    """A JSON number (NaN/inf included: a diverged loss curve is a valid history)."""
    if x is None:
        return allow_none
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class TrainingCache:
    """One JSON file per trained model, named by the hash of what was trained.

    Entries are plain JSON validated on read (a damaged file is a miss, never an error);
    writes are atomic; a per-key lock makes parallel grading lanes train a model once (the
    second waits and then reads the first's result)."""

    def __init__(self, folder, since: float | None = None):
        self.folder = Path(folder)
        if since is None:
            try:
                since = float(os.environ.get(ENV_CACHE_SINCE) or 0)
            except ValueError:
                since = 0.0
        self.since = since

    @staticmethod
    def key(layers, recipe, seed, device, data) -> str:
        import torch

        material = {
            "format": CACHE_FORMAT,
            "architecture": [[kind, {k: list(v) if isinstance(v, tuple) else v
                                     for k, v in sorted(hp.items())}, bool(lazy)]
                             for kind, hp, _raw, lazy in layers],
            "recipe": dataclasses.asdict(recipe), "seed": seed, "device": str(device),
            "data": data, "torch": torch.__version__,
        }
        text = json.dumps(material, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def _path(self, key):
        return self.folder / f"{key}.json"

    def get(self, key) -> dict | None:
        path = self._path(key)
        try:
            if path.is_symlink() or not path.is_file():
                return None
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT \
                or entry.get("key") != key:
            return None
        created, acc, hist = entry.get("created"), entry.get("accuracy"), entry.get("history")
        if not _is_number(created) or not math.isfinite(created) or created < self.since:
            return None
        if not _is_number(acc) or not 0.0 <= acc <= 1.0 or not isinstance(hist, dict):
            return None
        for k in ("train_loss", "train_acc", "test_acc", "seconds"):
            v = hist.get(k)
            if not isinstance(v, list) or not all(_is_number(x, allow_none=True) for x in v):
                return None
        return entry

    def put(self, key, accuracy, history, seconds, lang="es") -> None:
        entry = {"format": CACHE_FORMAT, "key": key, "created": time.time(),
                 "accuracy": float(accuracy), "seconds": float(seconds),
                 "history": {k: list(history.get(k) or []) for k in
                             ("train_loss", "train_acc", "test_acc", "seconds")},
                 "device": str(history.get("device", "")), "recipe": history.get("recipe")}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, self._path(key))
        except OSError as exc:  # a read-only cache must not cost the student the result
            log(tr(lang, "no se pudo guardar en la caché de entrenamiento {folder}: {error}",
                    folder=self.folder, error=exc))

    @contextlib.contextmanager
    def lock(self, key, lang="es"):
        """Exclusive per-key lock (no-op where the folder or fcntl is unavailable)."""
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            fh = open(self.folder / f".{key}.lock", "a")  # noqa: SIM115
        except (ImportError, OSError):
            yield
            return
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                log(tr(lang, "otra calificación está entrenando el mismo modelo; esperando su "
                              "resultado"))
                fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fh.close()


def default_cache() -> TrainingCache | None:
    folder = default_cache_dir()
    return TrainingCache(folder) if folder is not None else None


