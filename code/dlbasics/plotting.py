"""Figures for the book.

Every function draws with matplotlib's pyplot and returns the
:class:`~matplotlib.figure.Figure`, and does nothing else: no ``show()``, no
notebook magic. In Jupyter and in the built book the figure appears under the
cell (assign the result, ``fig = show_matrix(...)``, so it is not drawn
twice); in a script, call ``fig.savefig("name.png")``.
Tensors may live on any device and may require grad: they are copied to the
CPU and detached before drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def to_numpy(values) -> np.ndarray:
    """A NumPy copy of a tensor (any device, with or without grad), array or nested list."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def show_matrix(matrix, *, title: str | None = None, fmt: str = "{:g}",
                row_labels: Sequence[str] | None = None,
                col_labels: Sequence[str] | None = None, cmap: str = "coolwarm") -> Figure:
    """Draw a 1-D or 2-D tensor as a grid of coloured cells with its values written in.

    A 1-D tensor is drawn as one row. Colours are centred on zero, so signs
    stand out. Best for small tensors: each value is printed in its cell.
    """
    values = to_numpy(matrix).astype(float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(
            f"show_matrix draws 1-D or 2-D tensors, got {values.ndim}-D with shape "
            f"{tuple(values.shape)}; pick a 2-D slice (x[0]) or use show_images for a batch"
        )
    rows, cols = values.shape
    limit = float(np.abs(values).max()) or 1.0
    fig, ax = plt.subplots(figsize=(0.6 * cols + 1.2, 0.5 * rows + 0.8))
    ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    for (r, c), value in np.ndenumerate(values):
        ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=10)
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols))
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows))
    ax.tick_params(length=0)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_images(batch, *, titles: Sequence[str] | None = None, ncols: int = 8,
                title: str | None = None, cmap: str = "gray") -> Figure:
    """Draw a batch of images as a grid, one panel per image.

    ``batch`` is 4-D ``(N, C, H, W)`` with ``C`` equal to 1 (grey) or 3 (RGB),
    the layout PyTorch uses for images, or 3-D ``(N, H, W)`` for grey images.
    Each grey image is scaled to its own minimum and maximum.
    """
    images = to_numpy(batch).astype(float)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        hint = " (for one image use x.unsqueeze(0))" if images.ndim == 2 else ""
        raise ValueError(
            "show_images expects a batch shaped (N, C, H, W) with C = 1 or 3, or (N, H, W); "
            f"got shape {tuple(to_numpy(batch).shape)}{hint}"
        )
    count = images.shape[0]
    if titles is not None and len(titles) != count:
        raise ValueError(f"got {len(titles)} titles for {count} images")
    ncols = max(1, min(ncols, count))
    nrows = max(1, math.ceil(count / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.3 * nrows + (0.3 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= count:
            continue
        if images.shape[1] == 1:
            ax.imshow(images[i, 0], cmap=cmap)
        else:
            rgb = images[i].transpose(1, 2, 0)
            span = rgb.max() - rgb.min()
            ax.imshow((rgb - rgb.min()) / (span if span else 1.0))
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_layer(weight, bias=None, *, input_names: Sequence[str] | None = None,
               output_names: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Draw one fully connected layer ``c = f W + b`` as a graph.

    ``weight`` has shape ``(inputs, outputs)`` as in ``f @ W`` (the transpose
    of ``nn.Linear.weight``). Each edge from input ``i`` to output ``j`` is
    labelled ``W[i, j]``; each output node shows its bias.
    """
    w = to_numpy(weight).astype(float)
    if w.ndim != 2:
        raise ValueError(f"weight must be 2-D (inputs, outputs), got shape {tuple(w.shape)}")
    n_in, n_out = w.shape
    b = None if bias is None else to_numpy(bias).astype(float).reshape(-1)
    if b is not None and b.shape != (n_out,):
        raise ValueError(f"bias must have {n_out} values, one per output, got shape {tuple(b.shape)}")
    input_names = list(input_names) if input_names is not None else [f"f{i + 1}" for i in range(n_in)]
    output_names = list(output_names) if output_names is not None else [f"c{j + 1}" for j in range(n_out)]
    if len(input_names) != n_in or len(output_names) != n_out:
        raise ValueError(f"need {n_in} input names and {n_out} output names")

    def column(n):  # node heights, centred on 0
        return np.linspace(n - 1, 0, n) - (n - 1) / 2

    y_in, y_out = column(n_in), column(n_out)
    fig, ax = plt.subplots(figsize=(4.5, 1.2 * max(n_in, n_out) + 0.6))
    limit = float(np.abs(w).max()) or 1.0
    for i in range(n_in):
        for j in range(n_out):
            ax.plot([0, 1], [y_in[i], y_out[j]], color=plt.cm.coolwarm(0.5 + 0.5 * w[i, j] / limit),
                    lw=1 + 2 * abs(w[i, j]) / limit, zorder=1)
            # Stagger the labels along each edge so crossing edges keep them apart.
            t = 0.25 + 0.5 * (j + 0.5) / n_out
            ax.text(t, (1 - t) * y_in[i] + t * y_out[j], f"{w[i, j]:g}", ha="center", va="center",
                    fontsize=9, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"), zorder=3)
    for x, ys, names in ((0, y_in, input_names), (1, y_out, output_names)):
        for y, name in zip(ys, names):
            ax.scatter([x], [y], s=900, color="#f2f2f2", edgecolor="black", zorder=2)
            ax.text(x, y, name, ha="center", va="center", fontsize=11, zorder=4)
    if b is not None:
        for y, value in zip(y_out, b):
            ax.text(1.17, y, f"+ {value:g}", ha="left", va="center", fontsize=9, color="dimgray")
    ax.set_xlim(-0.3, 1.45)
    ax.set_ylim(min(y_in.min(), y_out.min()) - 0.6, max(y_in.max(), y_out.max()) + 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
