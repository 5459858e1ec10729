"""Draw a network's computation graph with its forward values and backward gradients.

Used by the back-propagation chapters (710 to 750). The graph is drawn from
top to bottom, one row of nodes per stage: the inputs ``f``, then for two
layers the pre-activations ``z`` and the activations ``h``, the scores ``c``
and the loss ``L``. Each node is one number the forward pass computed for one
point; it shows that value in black and, in red, the gradient of the loss with
respect to it, the number the backward pass computed. Read the black numbers
from top to bottom and the red ones from bottom to top.

Every parameter is drawn with its value and, in red, its gradient: a weight on
its edge, a bias in a small box beside the node it is added to. So the black
numbers add up: a node of a layer is the sum, over its incoming edges, of the
value at the edge's upper end times the edge's weight, plus its bias.

Same conventions as :mod:`dlbasics.plotting`: the function returns the
:class:`~matplotlib.figure.Figure` and does nothing else (no ``show()``), so
it works in a notebook, in the built book and in a script with the Agg
backend (``fig.savefig("graph.png")``). The figure is sized in inches so that
its text stays readable when a page shows it about 620 pixels wide.
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
GRAD_COLOUR = "#b03a2e"      # red, with a contrast of at least 4.5:1 on white
BLOCKED_COLOUR = "#666666"   # grey, 5.7:1 on white, 5.2:1 on a node's fill
EDGE_COLOUR = "#555555"

# Sizes in inches: one data unit is one inch of the figure.
BOX_W, BOX_H = 1.9, 0.78           # a node
BIAS_W, BIAS_H, BIAS_GAP = 1.2, 0.62, 0.3    # a bias box, at least; and its arrow
SPACING = 3.3                      # between the centres of neighbouring nodes of a row
GAPS = {"dense": 1.75, "relu": 0.62, "loss": 0.62}  # vertical room below a row, by link
FONT, SMALL = 13.5, 13               # points


@dataclass
class _Row:
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
    bias: np.ndarray | None = None      # (to,) for "dense"
    bias_grads: np.ndarray | None = None
    bias_name: str = "b"
    passes: np.ndarray | None = None    # (nodes,) booleans for "relu"


def format_number(value: float) -> str:
    """A short, readable form of one number: 4 significant digits, or powers of ten when tiny or huge."""
    value = float(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def draw_computation_graph(forward, grads, params: Sequence, *, point: int = 0,
                           title: str | None = None) -> Figure:
    """Draw the computation graph of one point with its values and gradients.

    ``forward`` and ``grads`` come from :mod:`dlbasics.backprop`: a
    ``LinearForward`` with its ``LinearGradients`` (one layer, rows f, c, L)
    or a ``TwoLayerForward`` with its ``TwoLayerGradients`` (rows f, z, h, c,
    L). ``params`` holds the parameters the forward pass used, shaped as in
    ``f @ W + b``: ``(W, b)`` for one layer, ``(W1, b1, W2, b2)`` for two.
    ``point`` picks the row of the batch to draw.

    Each node shows its value and, in red, the gradient of the loss with
    respect to it; for a batch these node gradients are that row's share,
    which carries the batch mean's 1/N. Each edge of a layer shows its weight
    and, in red, the gradient of the loss with respect to that weight; each
    bias sits in a small box beside the node it is added to, with its
    gradient (parameter gradients are over the whole batch). A ReLU edge is
    solid where the unit passes the gradient (pre-activation > 0) and dashed
    grey where it blocks it.

    The layout is made for the book's small layers, two nodes a row: its text
    does not overlap, and stays readable with the figure about 620 pixels
    wide. Wider layers are drawn too, but their edge labels may overlap.
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
    nodes = [_Row("f", to_numpy(forward.f[p]), None)]
    if one_layer:
        names = [("W", "b")]
        layer_grads = [(grads.dL_dW, grads.dL_db)]
        links = [_Link("dense", weight_name="W", bias_name="b")]
    else:
        names = [("W1", "b1"), ("W2", "b2")]
        layer_grads = [(grads.dL_dW1, grads.dL_db1), (grads.dL_dW2, grads.dL_db2)]
        nodes += [_Row("z", to_numpy(forward.z[p]), to_numpy(grads.dL_dz[p])),
                  _Row("h", to_numpy(forward.h[p]), to_numpy(grads.dL_dh[p]))]
        links = [_Link("dense", weight_name="W1", bias_name="b1"),
                 _Link("relu", passes=to_numpy(forward.z[p] > 0)),
                 _Link("dense", weight_name="W2", bias_name="b2")]
    nodes.append(_Row("c", to_numpy(forward.c[p]), to_numpy(grads.dL_dc[p])))
    dense = [link for link in links if link.kind == "dense"]
    expected = ", ".join(name for pair in names for name in pair)
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or len(params) != 2 * len(dense):
        count = len(params) if isinstance(params, Sequence) else type(params).__name__
        raise ValueError(f"params must hold the forward pass's ({expected}); got {count}")
    for k, (link, (weight_grad, bias_grad)) in enumerate(zip(dense, layer_grads)):
        weight, bias = params[2 * k], params[2 * k + 1]
        for value, grad, name in ((weight, weight_grad, link.weight_name),
                                  (bias, bias_grad, link.bias_name)):
            if tuple(to_numpy(value).shape) != tuple(grad.shape):
                raise ValueError(f"{name} must have shape {tuple(grad.shape)}, as in the forward pass; "
                                 f"got {tuple(to_numpy(value).shape)}")
        link.weights, link.weight_grads = to_numpy(weight).astype(float), to_numpy(weight_grad).astype(float)
        link.bias, link.bias_grads = to_numpy(bias).astype(float), to_numpy(bias_grad).astype(float)
    nodes.append(_Row("L", np.array([float(forward.loss)]), np.array([1.0]), indexed=False))
    links.append(_Link("loss"))
    return _draw(nodes, links, title)


def _offsets(count: int, spacing: float) -> np.ndarray:
    """Centres of ``count`` nodes in a row, symmetric about 0."""
    return (np.arange(count) - (count - 1) / 2) * spacing


def _bias_side(j: int, count: int) -> int:
    """-1 to put output j's bias box on its left, +1 on its right: outward where possible."""
    return -1 if count > 1 and j < (count - 1) / 2 else 1


def _bias_label(link: _Link, j: int) -> str:
    return f"{link.bias_name}[{j}] = {format_number(link.bias[j])}"


def _draw(rows: list[_Row], links: list[_Link], title: str | None) -> Figure:
    widest = max(len(row.values) for row in rows)
    # A bias box is wide enough for its longest label (about 0.58 em a character).
    longest = max(len(_bias_label(link, j)) for link in links if link.kind == "dense"
                  for j in range(len(link.bias)))
    bias_w = max(BIAS_W, 0.58 * SMALL / 72 * longest + 0.2)
    # With more than two nodes in a row, a bias box can sit between two nodes: make room.
    spacing = SPACING if widest <= 2 else BOX_W + 2 * (BIAS_GAP + bias_w) + 0.4
    ys = [0.0]
    for link in links:
        ys.append(ys[-1] - BOX_H - GAPS[link.kind])
    xs = [_offsets(len(row.values), spacing) for row in rows]
    half_width = (widest - 1) / 2 * spacing + BOX_W / 2 + BIAS_GAP + bias_w + 0.15
    legend_h = 1.05 + (0.4 if title else 0)
    top, bottom = BOX_H / 2 + legend_h, ys[-1] - BOX_H / 2 - 0.15
    fig = plt.figure(figsize=(2 * half_width, top - bottom))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-half_width, half_width)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")

    label_box = dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.92)
    for r, link in enumerate(links):
        upper_y, lower_y = ys[r] - BOX_H / 2, ys[r + 1] + BOX_H / 2
        for i, x0 in enumerate(xs[r]):
            for j, x1 in enumerate(xs[r + 1]):
                if link.kind == "relu" and i != j:
                    continue
                blocked = link.kind == "relu" and not link.passes[i]
                _arrow(ax, (x0, upper_y), (x1, lower_y), blocked)
                if link.kind == "relu":
                    ax.text(x0 + 0.12, (upper_y + lower_y) / 2, "blocked" if blocked else "relu",
                            ha="left", va="center", fontsize=SMALL,
                            color=BLOCKED_COLOUR if blocked else EDGE_COLOUR, zorder=3)
                elif link.kind == "dense":
                    # A vertical edge is labelled half-way down; a slanted one a quarter of the
                    # way, near its upper node, before the slanted edges cross.
                    t = 0.5 if abs(x1 - x0) < 1e-9 else 0.27
                    at_x, at_y = x0 + t * (x1 - x0), upper_y + t * (lower_y - upper_y)
                    name = f"{link.weight_name}[{i},{j}]"
                    ax.text(at_x, at_y + 0.02, f"{name} = {format_number(link.weights[i, j])}",
                            ha="center", va="bottom", fontsize=SMALL, color=VALUE_COLOUR, zorder=3,
                            bbox=label_box)
                    ax.text(at_x, at_y - 0.02, format_number(link.weight_grads[i, j]),
                            ha="center", va="top", fontsize=SMALL, color=GRAD_COLOUR, zorder=3,
                            bbox=label_box)
        if link.kind == "dense":
            count = len(xs[r + 1])
            for j, x1 in enumerate(xs[r + 1]):
                side = _bias_side(j, count)
                centre = x1 + side * (BOX_W / 2 + BIAS_GAP + bias_w / 2)
                y = ys[r + 1]
                ax.add_patch(FancyBboxPatch((centre - bias_w / 2, y - BIAS_H / 2), bias_w, BIAS_H,
                                            boxstyle="round,pad=0.03", fc="white", ec=EDGE_COLOUR,
                                            lw=1.0, linestyle=(0, (3, 2)), zorder=2))
                ax.text(centre, y + 0.12, _bias_label(link, j),
                        ha="center", va="center", fontsize=SMALL, color=VALUE_COLOUR, zorder=4)
                ax.text(centre, y - 0.15, format_number(link.bias_grads[j]), ha="center",
                        va="center", fontsize=SMALL, color=GRAD_COLOUR, zorder=4)
                _arrow(ax, (centre - side * bias_w / 2, y), (x1 + side * BOX_W / 2, y), False)

    for row, places, y in zip(rows, xs, ys):
        for k, x in enumerate(places):
            ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                        boxstyle="round,pad=0.04", fc="#f2f2f2", ec="black",
                                        lw=1.0, zorder=2))
            name = f"{row.symbol}_{k}" if row.indexed else row.symbol  # 0-based, as in code
            ax.text(x, y + 0.16, f"${name}$ = {format_number(row.values[k])}", ha="center",
                    va="center", fontsize=FONT, color=VALUE_COLOUR, zorder=4)
            if row.grads is None:
                text, colour = "input", BLOCKED_COLOUR
            else:
                text = f"$\\partial L/\\partial {name}$ = {format_number(row.grads[k])}"
                colour = GRAD_COLOUR
            ax.text(x, y - 0.19, text, ha="center", va="center", fontsize=SMALL, color=colour,
                    zorder=4)

    legend_y = BOX_H / 2 + 0.2
    lines = [("black: value from the forward pass (top to bottom)", VALUE_COLOUR),
             ("red: gradient of the loss L, from the backward pass (bottom to top)", GRAD_COLOUR),
             ("edges carry the weights, dashed boxes the biases, each with its gradient",
              VALUE_COLOUR)]
    for k, (text, colour) in enumerate(reversed(lines)):  # drawn from the bottom line up
        ax.text(-half_width + 0.15, legend_y + 0.28 * k, text, color=colour, fontsize=SMALL,
                ha="left", va="bottom")
    if title:
        ax.text(0, top - 0.12, title, ha="center", va="top", fontsize=FONT + 1.5)
    return fig


def _arrow(ax, start, end, blocked: bool) -> None:
    ax.annotate("", xy=end, xytext=start, zorder=1,
                arrowprops=dict(arrowstyle="-|>", lw=1.2, shrinkA=0, shrinkB=0,
                                color=BLOCKED_COLOUR if blocked else EDGE_COLOUR,
                                linestyle=(0, (4, 3)) if blocked else "-"))
