"""Back-propagation by hand, written to be read (chapters 710 to 750).

Two small classifiers, each with a forward pass that keeps every value it
computes and a backward pass that turns those values into gradients, one
named step per line:

- one layer, ``c = f W + b``, followed by softmax cross-entropy
  (:func:`linear_forward`, :func:`linear_backward`);
- two layers, ``h = relu(f W1 + b1)``, ``c = h W2 + b2``, followed by softmax
  cross-entropy (:func:`two_layer_forward`, :func:`two_layer_backward`).

The conventions are those of chapter 210: a batch ``f`` holds one point per
row, shape ``(N, in_features)``; a weight matrix has shape
``(in_features, out_features)``, so a layer is ``f @ W + b``; ``y`` holds one
integer class label per row, shape ``(N,)``; the loss is the **mean** over the
batch. One point is a batch with one row.

Two more pieces: :func:`affine_backward`, the backward rule of one layer on
its own (gradient of the loss with respect to the layer's output in; the
gradients for its input, weights and bias out), and
:func:`numerical_gradient`, central finite differences, a reference that does
not depend on any derivative worked out by hand or by autograd.

Nothing here uses autograd: these functions compute by hand what
``loss.backward()`` computes, and the tests check that the two agree. The
chapters show this file's source, so each line is written to be read next to
its formula.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import Tensor
from torch.nn.functional import one_hot


class _Record:
    """Prints a dataclass of tensors one field per line, so a chapter can show it."""

    def __str__(self) -> str:
        names = [field.name for field in fields(self)]
        width = max(len(name) for name in names)
        lines = [type(self).__name__]
        for name in names:
            text = str(getattr(self, name)).replace("\n", "\n" + " " * (width + 5))
            lines.append(f"  {name:<{width}} = {text}")
        return "\n".join(lines)

    __repr__ = __str__


# --- Softmax cross-entropy and its gradient --------------------------------

def softmax_cross_entropy(c: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Softmax probabilities ``q`` of scores ``c`` (N, classes), and the mean loss."""
    # Subtract each row's largest score: softmax is unchanged, and exp cannot overflow.
    shifted = c - c.max(dim=1, keepdim=True).values
    log_q = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # log softmax
    q = log_q.exp()                                                # each row sums to 1
    rows = torch.arange(len(y), device=c.device)
    loss = -log_q[rows, y].mean()  # -log q(correct class), averaged over the batch
    return q, loss


def softmax_cross_entropy_backward(q: Tensor, y: Tensor) -> Tensor:
    """dL/dc for the mean cross-entropy of ``softmax(c)``: ``(q - onehot(y)) / N``."""
    N, classes = q.shape
    onehot = one_hot(y, num_classes=classes).to(q.dtype)  # 1 at the correct class
    return (q - onehot) / N  # / N: the loss is the mean of N losses


# --- One layer: c = f W + b -------------------------------------------------

@dataclass(frozen=True, repr=False)
class LinearForward(_Record):
    """What the forward pass of one layer computes, kept for the backward pass.

    ``f`` (N, in) inputs; ``y`` (N,) labels; ``c = f W + b`` (N, out) scores;
    ``q`` (N, out) softmax probabilities; ``loss`` the mean cross-entropy (0-d).
    """

    f: Tensor
    y: Tensor
    c: Tensor
    q: Tensor
    loss: Tensor


@dataclass(frozen=True, repr=False)
class LinearGradients(_Record):
    """The gradients of the loss, each with the shape of what it is the gradient of.

    ``dL_dc`` (N, out); ``dL_dW`` (in, out), like ``W``; ``dL_db`` (out,), like ``b``.
    """

    dL_dc: Tensor
    dL_dW: Tensor
    dL_db: Tensor


def linear_forward(f: Tensor, W: Tensor, b: Tensor, y: Tensor) -> LinearForward:
    """One layer ``c = f W + b``, then softmax cross-entropy, keeping every value."""
    f, W, b, y = _checked_inputs(f, [("W", W, "b", b)], y)
    c = f @ W + b                          # scores, (N, out)
    q, loss = softmax_cross_entropy(c, y)  # probabilities and the mean loss
    return LinearForward(f=f, y=y, c=c, q=q, loss=loss)


def linear_backward(forward: LinearForward) -> LinearGradients:
    """The gradients of the loss with respect to ``c``, ``W`` and ``b``."""
    _check_record("forward", forward, LinearForward, "linear_forward")
    dL_dc = softmax_cross_entropy_backward(forward.q, forward.y)  # (N, out)
    dL_dW = forward.f.T @ dL_dc   # (in, N) @ (N, out): f_i * dL/dc_j, summed over rows
    dL_db = dL_dc.sum(dim=0)      # b_j is added to c_j of every row
    return LinearGradients(dL_dc=dL_dc, dL_dW=dL_dW, dL_db=dL_db)


# --- Two layers: h = relu(f W1 + b1), c = h W2 + b2 ---------------------------

def relu(z: Tensor) -> Tensor:
    """The rectified linear unit: ``z`` where ``z > 0``, else 0."""
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_backward(dL_dh: Tensor, z: Tensor) -> Tensor:
    """dL/dz from dL/dh for ``h = relu(z)``: the slope is 1 where ``z > 0``, else 0."""
    passes = z > 0         # True for the units whose pre-activation is positive
    return dL_dh * passes  # gradient goes through those units, is blocked at the others


@dataclass(frozen=True, repr=False)
class TwoLayerForward(_Record):
    """What the two-layer forward pass computes, kept for the backward pass.

    ``f`` (N, in) inputs; ``y`` (N,) labels; ``z = f W1 + b1`` (N, hidden) the
    pre-activations; ``h = relu(z)`` (N, hidden) the activations;
    ``c = h W2 + b2`` (N, out) scores; ``q`` softmax probabilities; ``loss``.
    """

    f: Tensor
    y: Tensor
    z: Tensor
    h: Tensor
    c: Tensor
    q: Tensor
    loss: Tensor


@dataclass(frozen=True, repr=False)
class TwoLayerGradients(_Record):
    """The gradients of the loss, in the order the backward pass computes them.

    Each has the shape of what it is the gradient of: ``dL_dc`` (N, out),
    ``dL_dW2`` (hidden, out), ``dL_db2`` (out,), ``dL_dh`` and ``dL_dz``
    (N, hidden), ``dL_dW1`` (in, hidden), ``dL_db1`` (hidden,).
    """

    dL_dc: Tensor
    dL_dW2: Tensor
    dL_db2: Tensor
    dL_dh: Tensor
    dL_dz: Tensor
    dL_dW1: Tensor
    dL_db1: Tensor


def two_layer_forward(f: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor,
                      y: Tensor) -> TwoLayerForward:
    """Two layers with a ReLU between, then softmax cross-entropy; keeps every value."""
    layers = [("W1", W1, "b1", b1), ("W2", W2, "b2", b2)]
    f, W1, b1, W2, b2, y = _checked_inputs(f, layers, y)
    z = f @ W1 + b1                        # hidden pre-activations, (N, hidden)
    h = relu(z)                            # activations: what the second layer reads
    c = h @ W2 + b2                        # scores, (N, out)
    q, loss = softmax_cross_entropy(c, y)  # probabilities and the mean loss
    return TwoLayerForward(f=f, y=y, z=z, h=h, c=c, q=q, loss=loss)


def two_layer_backward(forward: TwoLayerForward, W2: Tensor) -> TwoLayerGradients:
    """The gradients of the loss for every value and parameter, from the loss back."""
    _check_record("forward", forward, TwoLayerForward, "two_layer_forward")
    W2 = _checked_second_weight(W2, forward)
    dL_dc = softmax_cross_entropy_backward(forward.q, forward.y)  # (N, out)
    # The second layer is a single layer whose input is the ACTIVATION h.
    dL_dW2 = forward.h.T @ dL_dc       # (hidden, N) @ (N, out)
    dL_db2 = dL_dc.sum(dim=0)
    # Each h_k reaches every score c_j through the weight W2[k, j].
    dL_dh = dL_dc @ W2.T               # (N, out) @ (out, hidden)
    # Through the ReLU: passed where z > 0, blocked elsewhere.
    dL_dz = relu_backward(dL_dh, forward.z)
    # The first layer is a single layer whose input is f.
    dL_dW1 = forward.f.T @ dL_dz       # (in, N) @ (N, hidden)
    dL_db1 = dL_dz.sum(dim=0)
    return TwoLayerGradients(dL_dc=dL_dc, dL_dW2=dL_dW2, dL_db2=dL_db2, dL_dh=dL_dh,
                             dL_dz=dL_dz, dL_dW1=dL_dW1, dL_db1=dL_db1)


# --- The backward rule of one layer, on its own ---------------------------------

def affine_backward(dL_dout: Tensor, x: Tensor,
                    W: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For a layer ``out = x W + b``: from dL/dout, the gradients for x, W and b.

    ``dL_dx`` is passed on to whatever computed ``x``; ``dL_dW`` and ``dL_db``
    are kept for the gradient step. Each has the shape of what it belongs to.
    """
    _require_tensor("dL_dout", dL_dout)
    if dL_dout.shape != (x.shape[0], W.shape[1]) or x.shape[1] != W.shape[0]:
        raise ValueError(f"shapes do not fit out = x W + b: x {tuple(x.shape)}, "
                         f"W {tuple(W.shape)}, dL_dout {tuple(dL_dout.shape)} (one row "
                         "per row of x, one column per column of W)")
    # x_i reaches every output j through W[i, j]: a sum over j.
    dL_dx = dL_dout @ W.T
    # The input on an edge times the gradient at its end, summed over the rows.
    dL_dW = x.T @ dL_dout
    dL_db = dL_dout.sum(dim=0)   # b_j is added to output j of every row
    return dL_dx, dL_dW, dL_db


# --- A reference that needs no derivative: central differences -------------------

def numerical_gradient(loss_of, param: Tensor, h: float = 1e-6) -> Tensor:
    """dL/dparam by central differences, ``(L(p + h) - L(p - h)) / 2h``, entry by entry.

    ``loss_of(p)`` returns the loss (a number or a 0-d tensor) for a tensor ``p``
    of ``param``'s shape; ``param`` is not changed. Use float64: the two losses
    differ by little, and float32 keeps too few digits of each.
    """
    param = _require_tensor("param", param).detach()
    grad = torch.zeros_like(param)
    for k in range(param.numel()):
        step = torch.zeros_like(param)
        step.view(-1)[k] = h                   # move entry k alone, by +h and by -h
        up, down = float(loss_of(param + step)), float(loss_of(param - step))
        grad.view(-1)[k] = (up - down) / (2 * h)
    return grad


# --- Input checks: say what was expected, what was got, and what to do ---------

def _require_tensor(name: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        plain = isinstance(value, (list, tuple, int, float))
        hint = f": wrap it, {name} = torch.tensor(...)" if plain else ""
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}{hint}")
    return value


def _checked_inputs(f, layers: list[tuple], y) -> tuple[Tensor, ...]:
    """Check ``f``, each layer's ``(W name, W, b name, b)`` and ``y``; return them detached.

    Detached because the gradients here are computed by hand, and a tensor
    that carries an autograd history would print it with every value.
    """
    f = _require_tensor("f", f)
    if f.dim() != 2:
        hint = ": use f.unsqueeze(0) for one point" if f.dim() == 1 else ""
        raise ValueError(f"f must be 2-D (N, in_features), one point per row; got shape {tuple(f.shape)}{hint}")
    if not f.is_floating_point():
        raise ValueError(f"f must hold floats; got dtype {f.dtype}: build it from floats "
                         "(torch.tensor([[-10.0, 20.0]])) or convert it with f.float()")
    if f.shape[0] == 0:
        raise ValueError("f has no rows: a batch needs at least one point")
    checked = [f.detach()]
    width, width_name = f.shape[1], "f has"
    for w_name, W, b_name, b in layers:
        W, b = _require_tensor(w_name, W), _require_tensor(b_name, b)
        if W.dim() != 2:
            raise ValueError(f"{w_name} must be 2-D (in_features, out_features); got shape {tuple(W.shape)}")
        if W.shape[0] != width:
            hint = (f"; {w_name} looks transposed (nn.Linear stores its weight as (out, in): use .T)"
                    if W.shape[1] == width else "")
            raise ValueError(f"{w_name} must have one row per input feature: {width_name} {width} "
                             f"features, so {w_name} needs shape ({width}, out_features); got shape "
                             f"{tuple(W.shape)}{hint}")
        if b.shape != (W.shape[1],):
            hint = f": use {b_name}.reshape(-1)" if b.numel() == W.shape[1] else ""
            raise ValueError(f"{b_name} must be 1-D with one bias per column of {w_name}, shape "
                             f"({W.shape[1]},); got shape {tuple(b.shape)}{hint}")
        for name, tensor in ((w_name, W), (b_name, b)):
            if tensor.dtype != f.dtype:
                raise ValueError(f"{name} has dtype {tensor.dtype} but f has {f.dtype}: use one floating "
                                 f"dtype for all, e.g. {name}.to(f.dtype)")
            if tensor.device != f.device:
                raise ValueError(f"{name} is on {tensor.device} but f is on {f.device}: move it with "
                                 f"{name}.to(f.device)")
        checked += [W.detach(), b.detach()]
        width, width_name = W.shape[1], f"{w_name} gives"
    y = _require_tensor("y", y)
    if y.dim() != 1:
        hint = ": use y.reshape(1) for one point" if y.dim() == 0 else ""
        raise ValueError(f"y must be 1-D (N,), one class label per row of f; got shape {tuple(y.shape)}{hint}")
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
        raise ValueError(f"y must hold integer class labels; got dtype {y.dtype}: "
                         "use torch.tensor([1]) rather than torch.tensor([1.0]), or y.long()")
    if len(y) != len(f):
        raise ValueError(f"y has {len(y)} labels but f has {len(f)} rows: give one label per point")
    if y.device != f.device:
        raise ValueError(f"y is on {y.device} but f is on {f.device}: move it with y.to(f.device)")
    if len(y) and (y.min() < 0 or y.max() >= width):
        raise ValueError(f"y must hold class labels 0 to {width - 1} (the layer has {width} outputs); "
                         f"got {y.tolist()}")
    return (*checked, y.detach().long())


def _check_record(name: str, value, kind: type, made_by: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be the {kind.__name__} that {made_by} returns; "
                        f"got {type(value).__name__}")


def _checked_second_weight(W2, forward: TwoLayerForward) -> Tensor:
    W2 = _require_tensor("W2", W2)
    expected = (forward.h.shape[1], forward.c.shape[1])
    if tuple(W2.shape) != expected:
        raise ValueError(f"W2 must be the (hidden, out_features) = {expected} matrix the forward pass "
                         f"used; got shape {tuple(W2.shape)}")
    if W2.dtype != forward.h.dtype or W2.device != forward.h.device:
        raise ValueError(f"W2 ({W2.dtype} on {W2.device}) must match the forward pass "
                         f"({forward.h.dtype} on {forward.h.device})")
    return W2.detach()
