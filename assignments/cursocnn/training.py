"""Entrenamiento rápido: todo el conjunto como tensores en el dispositivo, lotes recortados de él.

(Fast training loop used by the notebooks' demos and by the grader's trusted training check.)

The whole dataset lives on the device as one float tensor; every epoch draws a shuffled index
permutation and slices batches from it (no DataLoader, no per-sample transforms, no PIL).
Loss and correct counts are accumulated on the device, so the loop synchronises once per epoch
(plus the progress bar's occasional refresh). Adam/AdamW/SGD use the fused kernels when the
build supports them for the device, else the foreach ones. On CUDA, cuDNN autotuning and TF32
are switched on for the duration of the call and restored afterwards.
"""
from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, replace

import torch
from torch import nn

__all__ = ["Recipe", "CPU_RECIPE", "GPU_RECIPE", "resolve_device", "recipe_for", "fast_backends",
           "make_optimizer", "fit", "evaluate_accuracy", "xavier_init"]


@dataclass(frozen=True)
class Recipe:
    """A training recipe: optimizer and schedule. Same recipe + same seed = same run on a device."""
    name: str
    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "adam"          # "adam" | "adamw" | "sgd"
    weight_decay: float = 0.0
    momentum: float = 0.9            # sgd only
    eval_batch_size: int = 2048

    def with_(self, **changes) -> "Recipe":
        return replace(self, **changes)


#: About a minute per LeNet on a 2-core x86_64 CPU (see docs/benchmarks.md, "Training").
CPU_RECIPE = Recipe(name="cpu", epochs=4, batch_size=128, lr=3e-3)
#: More epochs for a GPU (seconds there); higher bar.
GPU_RECIPE = Recipe(name="gpu", epochs=20, batch_size=256, lr=2e-3)


def resolve_device(device="auto") -> torch.device:
    """"auto" -> CUDA when available, else CPU. Accepts strings or torch.device."""
    if isinstance(device, torch.device):
        return device
    device = (device or "auto").lower()
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("Se pidió CUDA pero no hay GPU disponible / CUDA requested but not available")
    return torch.device(device)


def recipe_for(device) -> Recipe:
    """The grader's recipe for a device: GPU_RECIPE on CUDA, CPU_RECIPE otherwise."""
    return GPU_RECIPE if resolve_device(device).type == "cuda" else CPU_RECIPE


@contextlib.contextmanager
def fast_backends(device):
    """cuDNN benchmark + TF32 on CUDA for the duration of the block (restored afterwards)."""
    device = resolve_device(device)
    if device.type != "cuda":
        yield
        return
    saved = (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
         torch.backends.cuda.matmul.allow_tf32) = saved


def make_optimizer(params, recipe: Recipe, device) -> torch.optim.Optimizer:
    """The recipe's optimizer, fused on the device when supported, else foreach."""
    params = list(params)
    name = recipe.optimizer.lower()
    if name == "adam":
        cls, kw = torch.optim.Adam, dict(lr=recipe.lr, weight_decay=recipe.weight_decay)
    elif name == "adamw":
        cls, kw = torch.optim.AdamW, dict(lr=recipe.lr, weight_decay=recipe.weight_decay)
    elif name == "sgd":
        cls, kw = torch.optim.SGD, dict(lr=recipe.lr, momentum=recipe.momentum,
                                        weight_decay=recipe.weight_decay)
    else:
        raise ValueError(f"optimizador desconocido / unknown optimizer: {recipe.optimizer!r}")
    try:
        return cls(params, fused=True, **kw)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, foreach=True, **kw)


def xavier_init(model: nn.Module) -> nn.Module:
    """Xavier-uniform on every Conv/Linear weight (biases keep PyTorch's default init)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
    return model


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _progress(total, desc, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm missing: no bar
        return None
    # stdout, not tqdm's default stderr: Jupyter paints stderr red and beginners read it as an error
    return tqdm(total=total, desc=desc, unit="img", unit_scale=True, leave=False, file=sys.stdout)


@torch.inference_mode()
def evaluate_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, device="auto",
                      batch_size: int = 2048) -> float:
    """Accuracy of model on (X, y) in eval mode, batches sliced from the tensors."""
    device = resolve_device(device)
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for i in range(0, len(X), batch_size):
        xb = X[i:i + batch_size].to(device, non_blocking=True)
        yb = y[i:i + batch_size].to(device, non_blocking=True)
        correct += (model(xb).argmax(dim=1) == yb).sum()
    model.train(was_training)
    return correct.item() / max(len(X), 1)


def fit(model: nn.Module, train, test=None, *, recipe: Recipe | None = None, device="auto",
        seed: int | None = 0, progress: bool | None = None, epochs: int | None = None,
        batch_size: int | None = None, lr: float | None = None,
        criterion: nn.Module | None = None, callback=None) -> dict:
    """Train ``model`` on ``train = (X, y)`` and (optionally) measure accuracy on ``test``.

    ``recipe`` defaults to the device's (``recipe_for``); ``epochs``, ``batch_size`` and ``lr``
    override it. ``seed`` fixes the batch order (the model's initialisation is the caller's).
    ``progress``: a tqdm bar (None = only when interactive). ``callback(epoch, history)`` is
    called after each epoch and may return True to stop early.

    Returns the history, lists indexed by epoch: ``train_loss``, ``train_acc`` (mean over the
    epoch's examples, measured during training), ``test_acc`` (None entries without ``test``),
    ``seconds`` (wall time of the epoch, evaluation included), plus ``device`` and ``recipe``."""
    device = resolve_device(device)
    recipe = recipe or recipe_for(device)
    overrides = {k: v for k, v in dict(epochs=epochs, batch_size=batch_size, lr=lr).items() if v is not None}
    recipe = recipe.with_(**overrides) if overrides else recipe
    criterion = criterion or nn.CrossEntropyLoss()
    if progress is None:
        progress = _interactive()

    X, y = train
    X = X.to(device, torch.float32, non_blocking=True)
    y = y.to(device, torch.int64, non_blocking=True)
    if test is not None:
        Xt = test[0].to(device, torch.float32, non_blocking=True)
        yt = test[1].to(device, torch.int64, non_blocking=True)
    n = len(X)
    model = model.to(device)
    gen = torch.Generator(device=device)
    gen.manual_seed(0 if seed is None else int(seed))
    history = {"train_loss": [], "train_acc": [], "test_acc": [], "seconds": [],
               "device": str(device), "recipe": recipe.name}

    with fast_backends(device):
        if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
            with torch.no_grad():
                model(X[:1])  # materialise lazy layers before building the optimizer
        optimizer = make_optimizer(model.parameters(), recipe, device)
        bs = recipe.batch_size
        for epoch in range(recipe.epochs):
            start = time.perf_counter()
            model.train()
            loss_sum = torch.zeros((), dtype=torch.float32, device=device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            perm = torch.randperm(n, generator=gen, device=device)
            bar = _progress(n, f"época {epoch + 1}/{recipe.epochs}", progress)
            for i in range(0, n, bs):
                idx = perm[i:i + bs]
                xb, yb = X.index_select(0, idx), y.index_select(0, idx)
                logits = model(xb)
                loss = criterion(logits, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    loss_sum += loss.detach() * len(idx)
                    correct += (logits.argmax(dim=1) == yb).sum()
                if bar is not None:
                    bar.update(len(idx))
            train_loss = loss_sum.item() / n
            train_acc = correct.item() / n
            test_acc = None
            if test is not None:
                test_acc = evaluate_accuracy(model, Xt, yt, device=device,
                                             batch_size=recipe.eval_batch_size)
            if bar is not None:
                bar.close()
            history["train_loss"].append(train_loss)
            history["train_acc"].append(train_acc)
            history["test_acc"].append(test_acc)
            history["seconds"].append(time.perf_counter() - start)
            if progress:
                extra = f", exactitud en test {test_acc:.3f}" if test_acc is not None else ""
                print(f"época {epoch + 1}/{recipe.epochs}: pérdida {train_loss:.4f}, "
                      f"exactitud en entrenamiento {train_acc:.3f}{extra} "
                      f"({history['seconds'][-1]:.1f} s)", file=sys.stdout)
            if callback is not None and callback(epoch, history):
                break
    return history
