"""Gráficos pequeños para las demostraciones de los cuadernos (imágenes, mapas de
características, curvas de pérdida). Todas las funciones aceptan tensores de PyTorch o arreglos
de NumPy; con ``show=True`` (por defecto) muestran la figura y no devuelven nada, con
``show=False`` devuelven la figura de matplotlib sin mostrarla."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["to_numpy", "show_matrix", "show_images", "show_feature_maps", "plot_losses"]


def to_numpy(x) -> np.ndarray:
    """Tensor (con o sin gradiente, en cualquier dispositivo) o arreglo -> arreglo de NumPy."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _finish(fig, show: bool):
    fig.tight_layout()
    if show:
        plt.show()
        return None
    return fig


def show_matrix(X, title: str | None = None, *, annotate: bool = True, cmap: str = "gray",
                vmin=None, vmax=None, ax=None, show: bool = True):
    """Dibuja una matriz 2-D como imagen; con ``annotate`` escribe cada valor en su celda."""
    A = to_numpy(X)
    if A.ndim != 2:
        raise ValueError(f"show_matrix espera una matriz 2-D, recibió forma {A.shape}")
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(max(2.0, 0.45 * A.shape[1] + 1), max(2.0, 0.45 * A.shape[0] + 1)))
    else:
        fig = ax.figure
    im = ax.imshow(A, cmap=cmap, vmin=vmin, vmax=vmax)
    if annotate and A.size <= 400:
        lo, hi = im.get_clim()
        mid = (lo + hi) / 2
        for (i, j), v in np.ndenumerate(A):
            text = f"{v:g}" if float(v).is_integer() else f"{v:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="black" if v > mid else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return _finish(fig, show) if own else None


def show_images(images, titles=None, *, ncols: int | None = None, cmap: str = "gray",
                suptitle: str | None = None, size: float = 2.2, colorbar: bool = False,
                vmin: float | None = None, vmax: float | None = None, show: bool = True):
    """Dibuja una lista de imágenes 2-D (o un tensor (n, h, w) / (n, 1, h, w)) en una grilla.
    vmin/vmax fijan la escala de colores (si no, cada imagen usa la suya: una imagen constante
    se vería negra)."""
    if hasattr(images, "dim") or isinstance(images, np.ndarray):
        arr = to_numpy(images)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim == 4 and arr.shape[1] == 1:
            arr = arr[:, 0]
        images = list(arr)
    images = [to_numpy(im) for im in images]
    for im in images:
        if im.ndim != 2:
            raise ValueError(f"show_images espera imágenes 2-D, recibió forma {im.shape}")
    n = len(images)
    if n == 0:
        raise ValueError("show_images: no hay imágenes para mostrar")
    ncols = min(n, ncols or 6)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        ax.set_xticks([])  # no ticks, but keep the frame: white pixels stay visible on white
        ax.set_yticks([])
        im = ax.imshow(images[k], cmap=cmap, vmin=vmin, vmax=vmax)
        if titles is not None and k < len(titles):
            ax.set_title(str(titles[k]), fontsize=9)
        if colorbar:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if suptitle:
        fig.suptitle(suptitle)
    return _finish(fig, show)


def show_feature_maps(maps, titles=None, *, suptitle: str = "Mapas de características",
                      ncols: int | None = None, show: bool = True):
    """Mapas de características (c, h, w) o lista de mapas 2-D, con escala de color propia y
    barra de color (los valores pueden ser negativos)."""
    return show_images(maps, titles, ncols=ncols, cmap="RdBu_r", suptitle=suptitle,
                       colorbar=True, show=show)


def plot_losses(losses, *, title: str = "Pérdida por iteración", xlabel: str = "iteración",
                ylabel: str = "pérdida", logy: bool = False, labels=None, show: bool = True):
    """Curva(s) de pérdida. ``losses`` es una lista de números (una curva) o un dict
    {etiqueta: lista} (varias curvas). El eje x empieza en 1."""
    if isinstance(losses, dict):
        series = {str(k): [float(v) for v in vals] for k, vals in losses.items()}
    else:
        series = {(labels or "pérdida"): [float(v) for v in losses]}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for label, vals in series.items():
        ax.plot(range(1, len(vals) + 1), vals, marker="o", markersize=3, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    return _finish(fig, show)
