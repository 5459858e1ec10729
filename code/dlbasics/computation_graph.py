"""Draw a network's computation graph with its forward values and backward gradients.

Used by the back-propagation chapters (710 to 750). Each node is one number
the forward pass computed for one point; it shows that value in black and the
gradient of the loss with respect to it in red, the number the backward pass
computed. Read the black numbers from left to right and the red ones from
right to left.

Same conventions as :mod:`dlbasics.plotting`: the function returns the
:class:`~matplotlib.figure.Figure` and does nothing else (no ``show()``), so
it works in a notebook, in the built book and in a script with the Agg
backend (``fig.savefig("graph.png")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from dlbasics.backprop import LinearForward, LinearGradients, TwoLayerForward, TwoLayerGradients
from dlbasics.plotting import to_numpy

VALUE_COLOUR = "black"
GRAD_COLOUR = "#c0392b"
BLOCKED_COLOUR = "#b0b0b0"
ROW_SPACING = 1.7  # vertical distance between the nodes of one column (data units)


@dataclass
class _Column:
    symbol: str                  # mathtext symbol without index, e.g. "z"
    values: np.ndarray           # one value per node
    grads: np.ndarray | None     # one gradient per node, or None when not computed
    indexed: bool = True         # name the nodes z_0, z_1 (False for the single loss node)


@dataclass
class _Link:
    kind: str                           # "dense", "relu" or "loss"
    weights: np.ndarray | None = None   # (from, to) for "dense"
    weight_grads: np.ndarray | None = None
    weight_name: str = "W"
    passes: np.ndarray | None = None    # (nodes,) booleans for "relu"


def format_number(value: float) -> str:
    """A short, readable form of one number: 4 significant digits, or powers of ten when tiny or huge."""
    value = float(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def draw_computation_graph(forward, grads, *, weights: Sequence | None = None, point: int = 0,
                           title: str | None = None) -> Figure:
    """Draw the computation graph of one point with its values and gradients.

    ``forward`` and ``grads`` come from :mod:`dlbasics.backprop`: a
    ``LinearForward`` with its ``LinearGradients`` (one layer, nodes f, c, L)
    or a ``TwoLayerForward`` with its ``TwoLayerGradients`` (nodes f, z, h, c,
    L). ``point`` picks the row of the batch to draw. Each node shows its value
    and, in red, the gradient of the loss with respect to it; for a batch these
    node gradients are that row's share, which carries the batch mean's 1/N.

    ``weights``, optional, is ``(W,)`` or ``(W1, W2)``, shaped as in
    ``f @ W``; each edge of a layer is then labelled with its weight and, in
    red, the gradient of the loss with respect to that weight (over the whole
    batch). A ReLU edge is solid where the unit passes the gradient
    (pre-activation > 0) and dashed grey where it blocks it.
    """
    one_layer = isinstance(forward, LinearForward) and isinstance(grads, LinearGradients)
    two_layers = isinstance(forward, TwoLayerForward) and isinstance(grads, TwoLayerGradients)
    if not (one_layer or two_layers):
        raise TypeError(
            "draw_computation_graph needs a forward record and its gradients from dlbasics.backprop: "
            "linear_forward with linear_backward, or two_layer_forward with two_layer_backward; got "
            f"{type(forward).__name__} and {type(grads).__name__}"
        )
    rows = forward.f.shape[0]
    if isinstance(point, bool) or not isinstance(point, int) or not -rows <= point < rows:
        raise ValueError(f"point must be a row index of the batch, 0 to {rows - 1}; got {point!r}")
    p = point
    columns = [_Column("f", to_numpy(forward.f[p]), None)]
    if one_layer:
        layer_grads = [grads.dL_dW]
        links = [_Link("dense", weight_name="W")]
    else:
        layer_grads = [grads.dL_dW1, grads.dL_dW2]
        columns += [_Column("z", to_numpy(forward.z[p]), to_numpy(grads.dL_dz[p])),
                    _Column("h", to_numpy(forward.h[p]), to_numpy(grads.dL_dh[p]))]
        links = [_Link("dense", weight_name="W1"),
                 _Link("relu", passes=to_numpy(forward.z[p] > 0)),
                 _Link("dense", weight_name="W2")]
    columns.append(_Column("c", to_numpy(forward.c[p]), to_numpy(grads.dL_dc[p])))
    dense = [link for link in links if link.kind == "dense"]
    if weights is not None:
        weights = list(weights)
        if len(weights) != len(dense):
            raise ValueError(f"weights must hold {len(dense)} matri{'x' if len(dense) == 1 else 'ces'} "
                             f"({', '.join(link.weight_name for link in dense)}); got {len(weights)}")
        for link, weight, weight_grad in zip(dense, weights, layer_grads):
            matrix = to_numpy(weight).astype(float)
            if matrix.shape != tuple(weight_grad.shape):
                raise ValueError(f"{link.weight_name} must have shape {tuple(weight_grad.shape)}, as in "
                                 f"the forward pass; got {matrix.shape}")
            link.weights, link.weight_grads = matrix, to_numpy(weight_grad).astype(float)
    columns.append(_Column("L", np.array([float(forward.loss)]), np.array([1.0]), indexed=False))
    links.append(_Link("loss"))
    return _draw(columns, links, title)


def _heights(count: int) -> np.ndarray:
    return np.linspace(count - 1, 0, count) - (count - 1) / 2 if count > 1 else np.zeros(1)


def _draw(columns: list[_Column], links: list[_Link], title: str | None) -> Figure:
    box_w, box_h = 1.5, 0.78
    # Layers get a wide gap, for the labels on their edges; ReLU and loss edges a narrow one.
    gaps = [3.3 if link.kind == "dense" and link.weights is not None else 2.2 for link in links]
    xs = np.concatenate([[0.0], np.cumsum(gaps)])
    tallest = max(len(column.values) for column in columns)
    fig, ax = plt.subplots(figsize=(0.95 * xs[-1] + 1.6, 1.5 * tallest + 1.2))
    positions = [[(x, ROW_SPACING * y) for y in _heights(len(column.values))]
                 for x, column in zip(xs, columns)]

    for x, link in enumerate(links):
        left, right = positions[x], positions[x + 1]
        for i, (x0, y0) in enumerate(left):
            for j, (x1, y1) in enumerate(right):
                if link.kind == "relu" and i != j:
                    continue
                start, end = (x0 + box_w / 2, y0), (x1 - box_w / 2, y1)
                blocked = link.kind == "relu" and not link.passes[i]
                ax.annotate("", xy=end, xytext=start, zorder=1,
                            arrowprops=dict(arrowstyle="-|>", lw=1.2, shrinkA=0, shrinkB=0,
                                            color=BLOCKED_COLOUR if blocked else "dimgray",
                                            linestyle=(0, (4, 3)) if blocked else "-"))
                middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
                if link.kind == "relu":
                    ax.text(*middle, "blocked" if blocked else "relu", ha="center", va="bottom",
                            fontsize=10, color=BLOCKED_COLOUR if blocked else "dimgray", zorder=3)
                elif link.kind == "dense" and link.weights is not None:
                    # Label a level edge in its middle and a slanted one near its start,
                    # away from where the slanted edges cross.
                    t = 0.5 if abs(y1 - y0) < 1e-9 else 0.24
                    at = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
                    name = f"{link.weight_name}[{i},{j}]"
                    ax.text(at[0], at[1] + 0.02, f"{name} = {format_number(link.weights[i, j])}",
                            ha="center", va="bottom", fontsize=10, color=VALUE_COLOUR, zorder=3,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
                    ax.text(at[0], at[1] - 0.02, format_number(link.weight_grads[i, j]),
                            ha="center", va="top", fontsize=10, color=GRAD_COLOUR, zorder=3,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))

    for column, places in zip(columns, positions):
        for k, (x, y) in enumerate(places):
            ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                        boxstyle="round,pad=0.04", fc="#f4f4f4", ec="black",
                                        lw=1.0, zorder=2))
            name = f"{column.symbol}_{k}" if column.indexed else column.symbol  # 0-based, as in code
            ax.text(x, y + 0.17, f"${name}$ = {format_number(column.values[k])}", ha="center",
                    va="center", fontsize=12, color=VALUE_COLOUR, zorder=4)
            if column.grads is None:
                text, colour = "input", BLOCKED_COLOUR
            else:
                text = f"$\\partial L/\\partial {name}$ = {format_number(column.grads[k])}"
                colour = GRAD_COLOUR
            ax.text(x, y - 0.19, text, ha="center", va="center", fontsize=11, color=colour, zorder=4)

    top = ROW_SPACING * (tallest - 1) / 2 + box_h
    ax.text(0, top + 0.3, "black: value from the forward pass (left to right)", color=VALUE_COLOUR,
            fontsize=11, ha="left", va="bottom")
    ax.text(0, top, "red: gradient of the loss L from the backward pass (right to left)",
            color=GRAD_COLOUR, fontsize=11, ha="left", va="bottom")
    ax.set_xlim(-box_w / 2 - 0.2, xs[-1] + box_w / 2 + 0.2)
    ax.set_ylim(-top + box_h / 2 - 0.2, top + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=13)
    fig.tight_layout()
    return fig
