"""Small PNG pictures for the report pages (matplotlib, Agg), returned as data: URIs so a page
is one self-contained file. Every function returns (data_uri, alt_text)."""
from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

DPI = 72
ANNOTATE_MAX_CELLS = 36  # write the numbers inside cells of small matrices


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def as_matrix(value) -> np.ndarray:
    """Nested lists (None for nan) -> a 2-D float array to draw: vectors become one row;
    (c, h, w) channels side by side and (o, c, h, w) as rows of those, NaN columns between."""
    a = np.array(_nan(value), dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    if a.ndim > 4:
        return a.reshape(-1, a.shape[-1])
    if a.ndim == 3:
        gap = np.full((a.shape[1], 1), np.nan)
        parts = []
        for i, ch in enumerate(a):
            parts += ([gap] if i else []) + [ch]
        return np.hstack(parts)
    rows = [as_matrix(block) for block in a]
    gap = np.full((1, rows[0].shape[1]), np.nan)
    out = []
    for i, r in enumerate(rows):
        out += ([gap] if i else []) + [r]
    return np.vstack(out)


def _nan(value):
    if isinstance(value, list):
        return [_nan(v) for v in value]
    return math.nan if value is None else value


def _fmt(x) -> str:
    if not math.isfinite(x):
        return ""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e4 else f"{x:.2g}"


def _shape(value) -> str:
    shape = np.array(_nan(value), dtype=float).shape
    return "×".join(map(str, shape)) or "1"


def _draw(ax, m, title, cmap, vmin, vmax, label=""):
    ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if m.size <= ANNOTATE_MAX_CELLS:
        span = (vmax - vmin) or 1.0
        cm = plt.get_cmap(cmap)
        for (i, j), v in np.ndenumerate(m):
            if math.isfinite(v):
                r, g, b, _ = cm((v - vmin) / span)
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    ax.set_xlabel(label, fontsize=7)


def _limits(*ms):
    vals = np.concatenate([m[np.isfinite(m)].ravel() for m in ms] + [np.zeros(0)])
    if not vals.size:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def tensor_panels(snapshot: dict, text: dict) -> tuple[str, str] | None:
    """Inputs, expected, obtained and (same shape) obtained - expected, side by side.
    text: the page's strings (expected, obtained, difference, input, alt_*)."""
    inputs = {k: as_matrix(v) for k, v in (snapshot.get("inputs") or {}).items()}
    expected = as_matrix(snapshot["expected"]) if snapshot.get("expected") is not None else None
    obtained = as_matrix(snapshot["obtained"]) if snapshot.get("obtained") is not None else None
    if expected is None and obtained is None:
        return None
    raw = snapshot.get("inputs") or {}
    panels = [(f"{text['input']} {k}", m, "Greys", _limits(m), _shape(raw[k])) for k, m in inputs.items()]
    shared = _limits(*(m for m in (expected, obtained) if m is not None))
    if expected is not None:
        panels.append((text["expected"], expected, "viridis", shared, _shape(snapshot["expected"])))
    if obtained is not None:
        panels.append((text["obtained"], obtained, "viridis", shared, _shape(snapshot["obtained"])))
    same = expected is not None and obtained is not None and expected.shape == obtained.shape \
        and np.array(_nan(snapshot["expected"]), dtype=float).shape == \
        np.array(_nan(snapshot["obtained"]), dtype=float).shape
    if same:
        diff = obtained - expected
        bound = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
        bound = bound or 1.0
        panels.append((text["difference"], diff, "RdBu_r", (-bound, bound), _shape(snapshot["expected"])))
    widths = [max(1.0, min(3.2, 0.32 * m.shape[1] + 0.4)) for _t, m, _c, _l, _s in panels]
    height = max(1.3, min(3.2, 0.32 * max(m.shape[0] for _t, m, _c, _l, _s in panels) + 0.7))
    fig, axes = plt.subplots(1, len(panels), figsize=(sum(widths) + 0.3 * len(panels), height),
                             gridspec_kw={"width_ratios": widths})
    axes = np.atleast_1d(axes)
    for ax, (title, m, cmap, (lo, hi), label) in zip(axes, panels):
        _draw(ax, m, title, cmap, lo, hi, label)
    alt = text["alt_tensors"].format(
        inputs=", ".join(f"{k} {_shape(raw[k])}" for k in inputs) or "-",
        expected=_shape(snapshot["expected"]) if expected is not None else "-",
        obtained=_shape(snapshot["obtained"]) if obtained is not None else "-")
    if same:
        e = np.array(_nan(snapshot["expected"]), dtype=float)
        o = np.array(_nan(snapshot["obtained"]), dtype=float)
        differs = ~(np.abs(o - e) <= 1e-5 + 1.3e-6 * np.abs(e))  # nan/inf count as different
        alt += " " + text["alt_diff"].format(n=int(differs.sum()), total=e.size)
    return _png(fig), alt


def histogram(scores, max_score, text) -> tuple[str, str]:
    """Score histogram of one assignment (bins of width max_score/10)."""
    fig, ax = plt.subplots(figsize=(4.6, 2.4))
    bins = np.linspace(0, max_score or 1, 11)
    ax.hist(np.clip(scores, 0, max_score or 1), bins=bins, color="#1f5fa8", edgecolor="white")
    ax.set_xlabel(text["score"], fontsize=9)
    ax.set_ylabel(text["count"], fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    counts, _ = np.histogram(np.clip(scores, 0, max_score or 1), bins=bins)
    alt = text["alt_hist"].format(n=len(scores), max=max_score, counts=", ".join(
        f"{bins[i]:g}-{bins[i + 1]:g}: {int(c)}" for i, c in enumerate(counts) if c))
    return _png(fig), alt


def training_curve(training: dict, text) -> tuple[str, str]:
    """ps5: test accuracy per epoch against the bar; a bar chart when there is no curve."""
    acc = [a for a in training.get("test_acc") or [] if a is not None]
    bar = training.get("threshold")
    final = training.get("accuracy")
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    if len(acc) >= 2:
        epochs = np.arange(1, len(acc) + 1)
        ax.plot(epochs, acc, marker="o", color="#1f5fa8", label=text["your_model"])
        ax.set_xlabel(text["epoch"], fontsize=9)
        ax.set_xticks(epochs)
    else:
        ax.bar([0], [final or 0], color="#1f5fa8", width=0.5, label=text["your_model"])
        ax.set_xticks([])
    if bar is not None:
        ax.axhline(bar, color="#b00020", linestyle="--", label=text["threshold"])
    ax.set_ylabel(text["accuracy"], fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="lower right")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    alt = text["alt_training"].format(
        model=training.get("model", ""), acc=f"{final:.3f}" if final is not None else "-",
        bar=f"{bar:.3f}" if bar is not None else "-",
        curve=", ".join(f"{a:.3f}" for a in acc) or "-")
    return _png(fig), alt
