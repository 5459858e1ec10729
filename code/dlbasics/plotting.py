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

import matplotlib
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
    # Room for the cells, the row labels and the title; constrained layout fits the rest.
    label_width = 0.08 * max((len(str(label)) for label in row_labels), default=2) if row_labels is not None else 0.3
    width = max(0.6 * cols + label_width + 0.9, 0.085 * len(title or ""))
    fig, ax = plt.subplots(figsize=(width, 0.5 * rows + 0.9), layout="constrained")
    ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    for (r, c), value in np.ndenumerate(values):
        ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=10)
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols))
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows))
    ax.tick_params(length=0)
    if title:
        ax.set_title(title)
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


def show_pixel_values(image, *, rows: slice, cols: slice, scale: float = 255,
                      title: str | None = None) -> Figure:
    """One grey image beside a zoom into ``image[rows, cols]`` with each pixel's value written in.

    ``image`` is ``(H, W)`` or ``(1, H, W)``; values are multiplied by
    ``scale`` and rounded for printing (255 turns [0, 1] back into grey
    levels). The zoomed region is framed in red on the full image.
    """
    pixels = to_numpy(image).astype(float)
    if pixels.ndim == 3 and pixels.shape[0] == 1:
        pixels = pixels[0]
    if pixels.ndim != 2:
        raise ValueError(f"show_pixel_values draws one grey image (H, W) or (1, H, W), "
                         f"got shape {tuple(to_numpy(image).shape)}")
    crop = pixels[rows, cols] * scale
    if crop.size == 0:
        raise ValueError(f"rows {rows} and cols {cols} select no pixel of a {pixels.shape} image")
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(10, 4.6), width_ratios=[1, 1.6])
    whole.imshow(pixels, cmap="gray")
    r0, c0 = rows.start or 0, cols.start or 0
    whole.add_patch(matplotlib.patches.Rectangle((c0 - 0.5, r0 - 0.5), crop.shape[1], crop.shape[0],
                                                 fill=False, edgecolor="red", linewidth=2))
    whole.set_title("the whole image")
    zoom.imshow(crop, cmap="gray", vmin=0, vmax=scale)
    for (r, c), value in np.ndenumerate(crop):
        zoom.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=8,
                  color="black" if value > scale / 2 else "white")
    zoom.set_xticks(range(crop.shape[1]), range(c0, c0 + crop.shape[1]), fontsize=8)
    zoom.set_yticks(range(crop.shape[0]), range(r0, r0 + crop.shape[0]), fontsize=8)
    zoom.set_title("the red square, pixel by pixel (row and column numbers on the axes)")
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


CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def _axes(ax, figsize=(4.5, 4.2)):
    """The given axes, or new ones on a new figure."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def _check_points(features, labels) -> tuple[np.ndarray, np.ndarray]:
    x, y = to_numpy(features).astype(float), to_numpy(labels).astype(int)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"features must have shape (N, 2) to be drawn in the plane, got {tuple(x.shape)}; "
                         "for more features, draw two of them (features[:, [0, 1]]) or a combination")
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), one per point, got {tuple(y.shape)}")
    return x, y


def plot_points(features, labels, *, ax=None, title: str | None = None,
                axis_labels: Sequence[str] = ("f1", "f2"), max_points: int | None = None) -> Figure:
    """Scatter 2-D points coloured by class (all of them, or the first ``max_points``)."""
    x, y = _check_points(features, labels)
    x, y = x[:max_points], y[:max_points]
    fig, ax = _axes(ax)
    for cls in np.unique(y):
        pts = x[y == cls]
        ax.scatter(pts[:, 0], pts[:, 1], s=9, color=CLASS_COLOURS[cls % len(CLASS_COLOURS)],
                   label=f"class {cls}", edgecolors="none")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig


@torch.no_grad()
def plot_decision_boundary(predict, features, labels, *, ax=None, title: str | None = None,
                           axis_labels: Sequence[str] = ("f1", "f2"), resolution: int = 200,
                           max_points: int | None = None) -> Figure:
    """Shade the plane by the class a model picks, and draw the data on top.

    ``predict`` maps a float tensor of points, shape ``(M, 2)``, to scores of
    shape ``(M, classes)``: an ``nn.Module`` or any function such as
    ``lambda x: x @ W + b``. The class is the argmax of the scores; the
    boundary is where that argmax changes. An ``nn.Module`` is evaluated on
    its own device, in eval mode.
    """
    x, y = _check_points(features, labels)
    pad = 0.05 * (x.max(axis=0) - x.min(axis=0) + 1e-9)
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.column_stack([g1.ravel(), g2.ravel()]), dtype=torch.float32)
    if isinstance(predict, torch.nn.Module):
        device = next(predict.parameters(), torch.empty(0)).device
        was_training = predict.training
        predict.eval()
        scores = predict(grid.to(device))
        predict.train(was_training)
    else:
        scores = torch.as_tensor(predict(grid))
    if scores.dim() != 2 or scores.shape[0] != grid.shape[0]:
        raise ValueError(f"predict must map points (M, 2) to scores (M, classes); for M = {grid.shape[0]} "
                         f"it returned shape {tuple(scores.shape)}")
    classes = scores.argmax(dim=1).cpu().numpy().reshape(g1.shape)
    fig, ax = _axes(ax)
    n_classes = max(int(classes.max()), int(y.max())) + 1
    cmap = matplotlib.colors.ListedColormap(CLASS_COLOURS[:n_classes])
    ax.contourf(g1, g2, classes, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.18)
    if len(np.unique(classes)) > 1:
        ax.contour(g1, g2, classes, levels=np.arange(n_classes) + 0.5, colors="black", linewidths=1)
    plot_points(x, y, ax=ax, title=title, axis_labels=axis_labels, max_points=max_points)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return fig


def plot_loss_curves(curves: dict[str, Sequence[float]], *, ax=None, title: str | None = None,
                     xlabel: str = "epoch", ylabel: str = "loss", log_y: bool = False) -> Figure:
    """Draw one or more curves (name -> values, one per step or epoch) on shared axes."""
    if not curves:
        raise ValueError("curves is empty: pass a dict such as {'train': history.train_loss}")
    fig, ax = _axes(ax, figsize=(5.5, 3.5))
    for name, values in curves.items():
        values = to_numpy(values).astype(float).reshape(-1)
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_templates(maps, *, titles: Sequence[str] | None = None, ncols: int = 5,
                   title: str | None = None, colorbar_label: str = "weight",
                   cmap: str = "RdBu_r", limit: float | None = None, mask=None,
                   mask_color: str = "#bbbbbb") -> Figure:
    """Draw 2-D maps (a layer's weights as images, filters) on one colour scale centred at 0.

    ``maps`` is ``(N, H, W)`` or ``(N, 1, H, W)``. Unlike :func:`show_images`,
    which scales each image to its own range, every panel shares one scale,
    symmetric around zero, with a colour bar: positive values red, negative
    blue, zero white, so panels can be compared with each other. The scale
    runs from ``-limit`` to ``limit`` (by default the largest absolute value
    of the values drawn); values beyond it are drawn in the end colours.
    ``mask``, a boolean ``(H, W)`` tensor or array (or one per map,
    ``(N, H, W)``), draws only the values where it is True; the others are
    painted ``mask_color`` and do not count towards the default ``limit``.
    """
    values = to_numpy(maps).astype(float)
    if values.ndim == 4 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 3:
        raise ValueError(f"show_templates expects maps shaped (N, H, W) or (N, 1, H, W), got shape "
                         f"{tuple(to_numpy(maps).shape)}; reshape a layer's weight first, e.g. "
                         "layer.weight.reshape(-1, 28, 28)")
    count = values.shape[0]
    if titles is not None and len(titles) != count:
        raise ValueError(f"got {len(titles)} titles for {count} maps")
    shown = np.ones(values.shape, dtype=bool)
    if mask is not None:
        keep = to_numpy(mask)
        if keep.dtype != bool or keep.shape not in (values.shape[1:], values.shape):
            raise ValueError(f"mask must be a boolean array of shape {values.shape[1:]} or {values.shape}, "
                             f"got {keep.dtype} {keep.shape}")
        shown = np.broadcast_to(keep, values.shape)
        if not shown.any():
            raise ValueError("mask hides every value: there is nothing to draw")
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    largest = float(np.abs(values[shown]).max())
    if limit is None:
        limit = largest or 1.0
    elif not limit > 0:
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    colours = matplotlib.colormaps[cmap].with_extremes(bad=mask_color)
    values = np.ma.masked_array(values, mask=~shown)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.8 * ncols + 0.9, 1.9 * nrows + (0.4 if title else 0)),
                             squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            image = ax.imshow(values[i], cmap=colours, vmin=-limit, vmax=limit)
            if titles is not None:
                ax.set_title(titles[i], fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.85, label=colorbar_label,
                 extend="both" if largest > limit else "neither")
    if title:
        fig.suptitle(title)
    return fig


def show_confusion_matrix(confusion, *, title: str | None = None, class_names: Sequence[str] | None = None,
                          cmap: str = "Oranges") -> Figure:
    """Draw a confusion matrix (rows: true class, columns: predicted class) with its counts written in.

    The right answers on the diagonal are far more numerous than any mistake,
    so they are written on grey and only the mistakes are coloured, darker
    for more: the confusions stand out instead of being washed out.
    """
    counts = to_numpy(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix is square (classes, classes), got shape {tuple(counts.shape)}")
    k = counts.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"got {len(names)} class names for {k} classes")
    off_diagonal = np.where(np.eye(k, dtype=bool), np.nan, counts.astype(float))
    top = np.nanmax(off_diagonal) if k > 1 else 1.0
    fig, ax = plt.subplots(figsize=(0.55 * k + 1.6, 0.55 * k + 1.2), layout="constrained")
    ax.imshow(np.eye(k), cmap=matplotlib.colors.ListedColormap(["white", "#dddddd"]))
    image = ax.imshow(np.ma.masked_invalid(off_diagonal), cmap=cmap, vmin=0, vmax=max(top, 1.0))
    for (r, c), value in np.ndenumerate(counts):
        dark = r != c and value > 0.6 * top
        ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=9,
                fontweight="bold" if r == c else "normal", color="white" if dark else "black")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(length=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="mistakes")
    if title:
        ax.set_title(title)
    return fig
