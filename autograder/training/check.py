"""Trusted LeNet training check (the accuracy threshold of ps5_lenet): the steps, in order.

The student's ``lenet()`` / ``lenet_modern()`` never train in the sandbox. The worker describes
the returned nn.Sequential as data (probe ``describe_model``, autograder/sandboxed/worker/probes_model.py);
in the trusted process, `check_description`:

1. accepts only whitelisted ``torch.nn`` layers and compares the description with the
   contract's LeNet layer by layer, explaining the first difference (contract.py; custom
   parameterless layers the worker saw act as identity or flatten: layer_behaviour.py);
2. rebuilds the model from ``torch.nn`` (never the student's objects or weights) and checks
   every layer's output shape and the parameter count (rebuild.py);
3. trains it with the grader's recipe for the device and compares its test accuracy with the
   bar (train.py), or reuses a cached result for the same architecture, recipe, seed, device and
   data (cache.py), showing progress on the real stderr (progress.py).

Because the rebuilt model must equal the contract's, a bigger model cannot buy accuracy.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

from autograder.text.deferred import Text
from autograder.text.i18n import N_, tr
from autograder.training.cache import ENV_CACHE, TrainingCache, data_fingerprint, default_cache
from autograder.training.contract import MODELS, ModelRejected, normalised_layers
from autograder.training.progress import interactive, log, real_stderr
from autograder.training.rebuild import SEED, build_checked
from autograder.training.train import THRESHOLDS, miss_message, train_reference_like
from cursocnn import training


@dataclass
class CheckResult:
    name: str
    ok: bool
    stage: str                      # "structure" | "training"
    text: Text | str
    device: str = "cpu"
    recipe: str = "cpu"
    accuracy: float | None = None
    threshold: float | None = None
    seconds: float | None = None
    history: dict = field(default_factory=dict)
    code: str | None = None

    def message(self, lang="es"):
        return self.text.render(lang) if isinstance(self.text, Text) else str(self.text)


# ---------------------------------------------------------------------------------------------
# The check.


def _train_with_progress(model, name, label, device, seed, recipe, progress, lang="es"):
    """train_reference_like with the progress the caller asked for:
    False silent, True fit's own bar (current stderr), "auto" bar or log lines on the real stderr."""
    if progress != "auto":
        return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                    progress=bool(progress))
    who = f"{label}: " if label else ""
    log(who + tr(lang, "{name}: entrenando con la receta {recipe} ({epochs} épocas, lotes de "
                        "{batch_size}) en {device}; el resultado se guarda para las próximas "
                        "pasadas", name=name, recipe=recipe.name, epochs=recipe.epochs,
                  batch_size=recipe.batch_size, device=device))
    if interactive():
        with real_stderr():
            return train_reference_like(model, device=device, seed=seed, recipe=recipe,
                                        progress=True)
    started = time.perf_counter()

    def log_epoch(epoch, history):
        acc = history["test_acc"][-1]
        acc_text = tr(lang, ", exactitud en prueba {acc:.3f}", acc=acc) if acc is not None else ""
        log(who + tr(lang, "{name}: época {epoch}/{epochs}{accuracy} ({seconds:.0f} s)", name=name,
                      epoch=epoch + 1, epochs=recipe.epochs, accuracy=acc_text,
                      seconds=time.perf_counter() - started))
        return False

    return train_reference_like(model, device=device, seed=seed, recipe=recipe, progress=False,
                                callback=log_epoch)


def check_description(name, description, device="auto", seed=SEED, progress=False,
                      cache: TrainingCache | None = None, label: str = "",
                      lang: str = "es") -> CheckResult:
    """The whole check from a description (the probe's output).

    cache: a TrainingCache to reuse (and store) the training result of an identical model;
    progress: False, True or "auto" (see _train_with_progress); label names the submission in
    the log lines, written in `lang` (the result's text is rendered later, in any language)."""
    device = training.resolve_device(device)
    recipe = training.recipe_for(device)
    try:
        model = build_checked(name, description, seed=seed)
    except ModelRejected as rej:
        text = rej.text + "\n" + Text(N_("(Sin una LeNet reconocible no entrenamos el modelo: 0 "
                                         "puntos de entrenamiento.)"))
        return CheckResult(name, False, "structure", text, device=str(device), recipe=recipe.name,
                           code=rej.code)
    key = None
    data = data_fingerprint() if cache is not None else None
    if cache is not None and data is not None:
        key = TrainingCache.key(normalised_layers(description, name), recipe, seed, device, data)
    with cache.lock(key, lang) if key else contextlib.nullcontext():
        entry = cache.get(key) if key else None
        if entry is not None:
            acc, history, seconds = entry["accuracy"], dict(entry["history"]), entry["seconds"]
            history.update(device=str(device), recipe=recipe.name, cached=True)
            if progress == "auto":
                log((label + ": " if label else "")
                     + tr(lang, "{name}: resultado de entrenamiento reutilizado de {folder} "
                                "(exactitud {acc:.3f}; --force reentrena)",
                          name=name, folder=cache.folder, acc=acc))
        else:
            start = time.perf_counter()
            acc, history = _train_with_progress(model, name, label, device, seed, recipe, progress,
                                                lang)
            seconds = time.perf_counter() - start
            if key:
                cache.put(key, acc, history, seconds, lang)
    bar = THRESHOLDS[recipe.name][name]
    ok = acc >= bar
    if ok:
        text = Text(N_("{name}(): exactitud en prueba {acc:.3f} (mínimo {bar:.3f}) tras {epochs} "
                       "épocas ({recipe})."),
                    name=name, acc=acc, bar=bar, epochs=recipe.epochs, recipe=recipe.name)
    else:
        text = miss_message(name, acc, bar, recipe, history)
    return CheckResult(name, ok, "training", text, device=str(device), recipe=recipe.name,
                       accuracy=acc, threshold=bar, seconds=seconds, history=history,
                       code=None if ok else "below_threshold")


def describe(session, name, timeout=60.0):
    """Ask the worker (autograder.sandbox.Session or the suite's Student) for the description."""
    return session.call("describe_model", name, timeout=timeout)


def check(session, name, device="auto", seed=SEED, progress=False) -> CheckResult:
    """describe + check_description (StudentError/StudentCrash from the probe propagate)."""
    return check_description(name, describe(session, name), device=device, seed=seed,
                             progress=progress)


# ---------------------------------------------------------------------------------------------
# Warming the cache with the reference models (a Gradescope image, a course machine).


def warm_cache(device="auto", cache: TrainingCache | None = None, seed=SEED,
               lang="es") -> list[CheckResult]:
    """Train the reference solution's LeNets into the cache, so that every submission whose
    models equal the contract's (all correct ones: the key is the rebuilt architecture) is
    graded without training. Trusted code only: the reference runs in this process."""
    from autograder.sandboxed.worker.probes_model import describe_model
    from reference import ps5_lenet as ref

    cache = cache or default_cache()
    if cache is None:
        raise SystemExit(f"training cache disabled ({ENV_CACHE}=off): nothing to warm")
    return [check_description(name, describe_model(vars(ref), name), device=device, seed=seed,
                              progress="auto", cache=cache, label=tr(lang, "referencia"),
                              lang=lang)
            for name in MODELS]


