"""Small pictures for the report pages, returned as data: URIs so a page is one self-contained
file. Every function returns (data_uri, alt_text). The heatmaps of failing checks (many per
class) are SVG written straight from the arrays, with matplotlib's colormaps but no figure;
the histogram and the training curve (one per class page, one per ps5 page) are matplotlib PNGs,
and pyplot is imported only when one is drawn."""
from __future__ import annotations

import base64
import html
import io
import math
import struct
import zlib

import matplotlib
import numpy as np

DPI = 72
ANNOTATE_MAX_CELLS = 36  # write the numbers inside cells of small matrices


def _pyplot():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig) -> str:
    plt = _pyplot()
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


def _limits(*ms):
    vals = np.concatenate([m[np.isfinite(m)].ravel() for m in ms] + [np.zeros(0)])
    if not vals.size:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


# ---------------------------------------------------------------- heatmaps without a figure

_LUTS: dict = {}
CELL_MAX, CELL_MIN, PANEL_SIDE, ANNOTATED_CELL = 28, 3, 160, 34
RECTS_MAX = 256     # larger matrices are one PNG (written from the array) inside the SVG


def _lut(cmap) -> np.ndarray:
    """256 x 3 uint8 colours of a matplotlib colormap (read once: the same colours as before)."""
    if cmap not in _LUTS:
        _LUTS[cmap] = (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    return _LUTS[cmap]


def _colours(m, cmap, lo, hi) -> np.ndarray:
    """(h, w, 3) uint8 colours of m; NaN cells white (masked, as the pictures always were)."""
    span = (hi - lo) or 1.0
    idx = np.clip(np.nan_to_num((m - lo) / span, nan=0.0) * 255, 0, 255).round().astype(int)
    rgb = _lut(cmap)[idx]
    rgb[~np.isfinite(m)] = 255
    return rgb


def png_rgb(rgb: np.ndarray) -> bytes:
    """A PNG (8-bit RGB, no filter) of an (h, w, 3) uint8 array: written directly, no figure."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _panel_svg(x0, title, m, cmap, lo, hi, label) -> tuple[str, int, int]:
    """One heatmap panel at x offset x0 -> (svg fragment, width, height)."""
    h, w = m.shape
    annotate = m.size <= ANNOTATE_MAX_CELLS
    cell = ANNOTATED_CELL if annotate else max(CELL_MIN, min(CELL_MAX, PANEL_SIDE // max(h, w)))
    rgb = _colours(m, cmap, lo, hi)
    gw, gh = w * cell, h * cell
    width = max(gw, 7 * len(title), 6 * len(label))
    gx, gy = x0 + (width - gw) // 2, 20
    parts = [f'<text x="{x0 + width / 2:g}" y="13" font-size="12" text-anchor="middle">{_esc(title)}</text>']
    if m.size > RECTS_MAX:
        uri = "data:image/png;base64," + base64.b64encode(png_rgb(rgb)).decode("ascii")
        parts.append(f'<image x="{gx}" y="{gy}" width="{gw}" height="{gh}" preserveAspectRatio="none" '
                     f'style="image-rendering:pixelated" href="{uri}"/>')
    else:
        for (i, j), v in np.ndenumerate(m):
            if not math.isfinite(v):
                continue
            r, g, b = (int(c) for c in rgb[i, j])
            parts.append(f'<rect x="{gx + j * cell}" y="{gy + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="#{r:02x}{g:02x}{b:02x}"/>')
            if annotate:
                dark = (0.299 * r + 0.587 * g + 0.114 * b) / 255 < 0.5
                parts.append(f'<text x="{gx + j * cell + cell / 2:g}" y="{gy + i * cell + cell / 2 + 4:g}" '
                             f'font-size="10" text-anchor="middle" fill="{"#fff" if dark else "#000"}">'
                             f'{_esc(_fmt(v))}</text>')
    parts.append(f'<rect x="{gx}" y="{gy}" width="{gw}" height="{gh}" fill="none" stroke="#888"/>')
    parts.append(f'<text x="{x0 + width / 2:g}" y="{gy + gh + 13}" font-size="10" text-anchor="middle" '
                 f'fill="#444">{_esc(label)}</text>')
    return "".join(parts), width, gy + gh + 18


def _svg_uri(body, width, height) -> str:
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif">'
           f'<rect width="100%" height="100%" fill="#fff"/>{body}</svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def tensor_panels(snapshot: dict, text: dict) -> tuple[str, str] | None:
    """Inputs, expected, obtained and (same shape) obtained - expected, side by side, as one
    SVG (cells as rectangles, numbers inside small matrices; no matplotlib figure).
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
    body, x, height = [], 6, 0
    for title, m, cmap, (lo, hi), label in panels:
        part, w, h = _panel_svg(x, title, m, cmap, lo, hi, label)
        body.append(part)
        x += w + 16
        height = max(height, h)
    alt = text["alt_tensors"].format(
        inputs=", ".join(f"{k} {_shape(raw[k])}" for k in inputs) or "-",
        expected=_shape(snapshot["expected"]) if expected is not None else "-",
        obtained=_shape(snapshot["obtained"]) if obtained is not None else "-")
    if same:
        e = np.array(_nan(snapshot["expected"]), dtype=float)
        o = np.array(_nan(snapshot["obtained"]), dtype=float)
        differs = ~(np.abs(o - e) <= 1e-5 + 1.3e-6 * np.abs(e))  # nan/inf count as different
        alt += " " + text["alt_diff"].format(n=int(differs.sum()), total=e.size)
    return _svg_uri("".join(body), x - 10, height), alt


def histogram(scores, max_score, text) -> tuple[str, str]:
    """Score histogram of one assignment (bins of width max_score/10)."""
    fig, ax = _pyplot().subplots(figsize=(4.6, 2.4))
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
    fig, ax = _pyplot().subplots(figsize=(4.2, 2.4))
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
