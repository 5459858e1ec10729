"""The hand-written back-propagation of part 7, its checks and its figure.

Every hand gradient is compared with autograd and with central finite
differences; nothing here is a number copied from a run.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch.nn.functional import cross_entropy  # noqa: E402

from dlbasics import checks  # noqa: E402
from dlbasics.backprop import (  # noqa: E402
    LinearForward,
    affine_backward,
    linear_backward,
    linear_forward,
    numerical_gradient,
    relu,
    relu_backward,
    softmax_cross_entropy,
    two_layer_backward,
    two_layer_forward,
)
from dlbasics.checks import backprop as exercise_data  # noqa: E402
from dlbasics.computation_graph import GRAD_COLOUR, draw_computation_graph, format_number  # noqa: E402

SEEDS = range(6)
LINEAR_SHAPES = [(1, 2, 2), (1, 3, 4), (2, 2, 2), (5, 3, 3), (8, 4, 2), (16, 6, 10)]  # (N, in, out)
TWO_LAYER_SHAPES = [(1, 2, 2, 2), (1, 3, 5, 4), (2, 2, 2, 2), (6, 4, 3, 2), (16, 5, 8, 3)]  # (N, in, hidden, out)


# --- Helpers: random problems and autograd's answers -----------------------------

def random_linear(seed: int, n: int, n_in: int, n_out: int, dtype=torch.float64, scale: float = 3.0):
    g = torch.Generator().manual_seed(seed)
    f = scale * torch.randn(n, n_in, generator=g, dtype=dtype)
    W = torch.randn(n_in, n_out, generator=g, dtype=dtype)
    b = torch.randn(n_out, generator=g, dtype=dtype)
    y = torch.randint(0, n_out, (n,), generator=g)
    return f, W, b, y


def random_two_layer(seed: int, n: int, n_in: int, hidden: int, n_out: int, dtype=torch.float64,
                     margin: float = 0.05):
    """A random problem where row 0 has one open and one blocked hidden unit, and no
    pre-activation lies within ``margin`` of the ReLU's kink (finite differences need that)."""
    g = torch.Generator().manual_seed(seed)
    while True:
        f = 3 * torch.randn(n, n_in, generator=g, dtype=dtype)
        W1 = torch.randn(n_in, hidden, generator=g, dtype=dtype)
        b1 = torch.randn(hidden, generator=g, dtype=dtype)
        W2 = torch.randn(hidden, n_out, generator=g, dtype=dtype)
        b2 = torch.randn(n_out, generator=g, dtype=dtype)
        y = torch.randint(0, n_out, (n,), generator=g)
        pre = f @ W1
        b1[0] = 1.0 - pre[0, 0]    # unit 0 of row 0: z = +1, passes
        b1[1] = -1.0 - pre[0, 1]   # unit 1 of row 0: z = -1, blocked
        z = f @ W1 + b1
        if z.abs().min() > margin:
            return f, W1, b1, W2, b2, y


def autograd_linear(f, W, b, y):
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    c = f @ W + b
    c.retain_grad()
    loss = cross_entropy(c, y)
    loss.backward()
    return {"loss": loss.detach(), "q": torch.softmax(c, dim=1).detach(),
            "dL_dc": c.grad, "dL_dW": W.grad, "dL_db": b.grad}


def autograd_two_layer(f, W1, b1, W2, b2, y):
    W1, b1, W2, b2 = (t.clone().requires_grad_(True) for t in (W1, b1, W2, b2))
    z = f @ W1 + b1
    z.retain_grad()
    h = torch.relu(z)
    h.retain_grad()
    c = h @ W2 + b2
    c.retain_grad()
    loss = cross_entropy(c, y)
    loss.backward()
    return {"loss": loss.detach(), "dL_dc": c.grad, "dL_dW2": W2.grad, "dL_db2": b2.grad,
            "dL_dh": h.grad, "dL_dz": z.grad, "dL_dW1": W1.grad, "dL_db1": b1.grad}


def central_differences(loss_of, params: list[torch.Tensor], eps: float = 1e-6) -> list[torch.Tensor]:
    """dL/dp for every entry of every parameter, by (L(p + eps) - L(p - eps)) / (2 eps)."""
    grads = []
    for p in params:
        grad = torch.zeros_like(p)
        for index in range(p.numel()):
            original = p.view(-1)[index].item()
            p.view(-1)[index] = original + eps
            up = loss_of().item()
            p.view(-1)[index] = original - eps
            down = loss_of().item()
            p.view(-1)[index] = original
            grad.view(-1)[index] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def course_tensors():
    t = {name: torch.tensor(getattr(exercise_data, f"COURSE_{name}"))
         for name in ("W", "B", "W1", "B1", "W2", "B2")}
    return t["W"], t["B"], t["W1"], t["B1"], t["W2"], t["B2"]


# --- One layer: agreement with autograd and with finite differences -------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", LINEAR_SHAPES)
def test_linear_gradients_equal_autograd(seed, shape):
    f, W, b, y = random_linear(seed, *shape)
    forward = linear_forward(f, W, b, y)
    grads = linear_backward(forward)
    want = autograd_linear(f, W, b, y)
    torch.testing.assert_close(forward.c, f @ W + b)
    torch.testing.assert_close(forward.loss, want["loss"])
    torch.testing.assert_close(forward.q, want["q"])
    for name in ("dL_dc", "dL_dW", "dL_db"):
        torch.testing.assert_close(getattr(grads, name), want[name], msg=name)
    assert grads.dL_dW.shape == W.shape and grads.dL_db.shape == b.shape


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(1, 2, 2), (3, 3, 4), (5, 2, 3)])
def test_linear_gradients_equal_finite_differences(seed, shape):
    f, W, b, y = random_linear(seed, *shape)
    grads = linear_backward(linear_forward(f, W, b, y))
    numeric_W, numeric_b = central_differences(lambda: linear_forward(f, W, b, y).loss, [W, b])
    torch.testing.assert_close(grads.dL_dW, numeric_W, rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(grads.dL_db, numeric_b, rtol=1e-6, atol=1e-8)


def test_batch_gradient_is_the_mean_of_the_points_gradients():
    f, W, b, y = random_linear(3, 5, 3, 4)
    batch = linear_backward(linear_forward(f, W, b, y))
    singles = [linear_backward(linear_forward(f[i:i + 1], W, b, y[i:i + 1])) for i in range(len(f))]
    torch.testing.assert_close(batch.dL_dW, torch.stack([s.dL_dW for s in singles]).mean(dim=0))
    torch.testing.assert_close(batch.dL_db, torch.stack([s.dL_db for s in singles]).mean(dim=0))


@pytest.mark.parametrize("scale", [100.0, 1e4])
def test_softmax_is_stable_for_huge_scores(scale):
    f, W, b, y = random_linear(1, 4, 3, 3, dtype=torch.float32, scale=scale)
    forward = linear_forward(f, W, b, y)
    grads = linear_backward(forward)
    assert torch.isfinite(forward.loss) and torch.isfinite(forward.q).all()
    torch.testing.assert_close(forward.q.sum(dim=1), torch.ones(4))
    want = autograd_linear(f, W, b, y)
    torch.testing.assert_close(forward.loss, want["loss"])
    torch.testing.assert_close(grads.dL_dW, want["dL_dW"])


def test_softmax_cross_entropy_matches_torch():
    g = torch.Generator().manual_seed(0)
    c = 5 * torch.randn(7, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (7,), generator=g)
    q, loss = softmax_cross_entropy(c, y)
    torch.testing.assert_close(q, torch.softmax(c, dim=1))
    torch.testing.assert_close(loss, cross_entropy(c, y))


def test_course_single_layer_points_and_batch_agree_with_autograd():
    W, b, *_ = course_tensors()
    f = torch.tensor([[-10.0, 20.0], [8.0, -2.0]])
    y = torch.tensor([1, 0])
    for rows in (slice(0, 1), slice(1, 2), slice(0, 2)):
        grads = linear_backward(linear_forward(f[rows], W, b, y[rows]))
        want = autograd_linear(f[rows], W, b, y[rows])
        torch.testing.assert_close(grads.dL_dW, want["dL_dW"])
        torch.testing.assert_close(grads.dL_db, want["dL_db"])


def test_inputs_that_require_grad_are_detached():
    f, W, b, y = random_linear(0, 2, 2, 2)
    forward = linear_forward(f, W.requires_grad_(True), b, y)
    assert forward.c.grad_fn is None and linear_backward(forward).dL_dW.grad_fn is None


# --- Two layers ----------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", TWO_LAYER_SHAPES)
def test_two_layer_gradients_equal_autograd(seed, shape):
    f, W1, b1, W2, b2, y = random_two_layer(seed, *shape)
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    assert (forward.z > 0).any() and (forward.z < 0).any(), "the test must exercise a blocked unit"
    grads = two_layer_backward(forward, W2)
    want = autograd_two_layer(f, W1, b1, W2, b2, y)
    torch.testing.assert_close(forward.h, torch.relu(f @ W1 + b1))
    torch.testing.assert_close(forward.loss, want["loss"])
    for name in ("dL_dc", "dL_dW2", "dL_db2", "dL_dh", "dL_dz", "dL_dW1", "dL_db1"):
        torch.testing.assert_close(getattr(grads, name), want[name], msg=name)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(1, 2, 2, 2), (3, 3, 4, 2)])
def test_two_layer_gradients_equal_finite_differences(seed, shape):
    f, W1, b1, W2, b2, y = random_two_layer(seed, *shape)
    grads = two_layer_backward(two_layer_forward(f, W1, b1, W2, b2, y), W2)
    numeric = central_differences(lambda: two_layer_forward(f, W1, b1, W2, b2, y).loss, [W1, b1, W2, b2])
    for name, value in zip(("dL_dW1", "dL_db1", "dL_dW2", "dL_db2"), numeric):
        torch.testing.assert_close(getattr(grads, name), value, rtol=1e-6, atol=1e-8, msg=name)


@pytest.mark.parametrize("seed", SEEDS)
def test_second_layer_gradient_from_the_preactivation_is_wrong_when_a_unit_is_blocked(seed):
    f, W1, b1, W2, b2, y = random_two_layer(seed, 1, 2, 2, 2)
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    grads = two_layer_backward(forward, W2)
    want = autograd_two_layer(f, W1, b1, W2, b2, y)
    torch.testing.assert_close(forward.h.T @ grads.dL_dc, want["dL_dW2"])
    assert not torch.allclose(forward.z.T @ grads.dL_dc, want["dL_dW2"])


def test_course_two_layer_network_preactivations_are_positive_so_the_course_slip_was_hidden():
    *_, W1, b1, W2, b2 = course_tensors()
    f = torch.tensor([[-10.0, 20.0], [8.0, -2.0]])
    y = torch.tensor([1, 0])
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    grads = two_layer_backward(forward, W2)
    assert (forward.z > 0).all()
    torch.testing.assert_close(forward.z.T @ grads.dL_dc, grads.dL_dW2)
    torch.testing.assert_close(grads.dL_dW2, autograd_two_layer(f, W1, b1, W2, b2, y)["dL_dW2"])


def test_relu_backward_blocks_at_zero_as_autograd_does():
    z = torch.tensor([[-2.0, 0.0, 3.0]], requires_grad=True)
    upstream = torch.tensor([[5.0, 7.0, 11.0]])
    torch.relu(z).backward(upstream)
    torch.testing.assert_close(relu_backward(upstream, z.detach()), z.grad)
    torch.testing.assert_close(relu(z.detach()), torch.relu(z.detach()))


# --- The backward rule of one layer, and the central-difference reference -------------

@pytest.mark.parametrize("seed", SEEDS)
def test_affine_backward_equals_autograd_for_input_weights_and_bias(seed):
    f, W, b, _ = random_linear(seed, 5, 3, 4)
    g = torch.Generator().manual_seed(100 + seed)
    dL_dout = torch.randn(5, 4, generator=g, dtype=torch.float64)
    x, W_, b_ = (t.clone().requires_grad_(True) for t in (f, W, b))
    (x @ W_ + b_).backward(dL_dout)  # autograd's vector-Jacobian product with dL/dout
    dL_dx, dL_dW, dL_db = affine_backward(dL_dout, f, W)
    torch.testing.assert_close(dL_dx, x.grad)
    torch.testing.assert_close(dL_dW, W_.grad)
    torch.testing.assert_close(dL_db, b_.grad)


def test_two_layer_backward_is_affine_relu_affine():
    f, W1, b1, W2, b2, y = random_two_layer(0, 6, 4, 3, 2)
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    grads = two_layer_backward(forward, W2)
    dL_dh, dL_dW2, dL_db2 = affine_backward(grads.dL_dc, forward.h, W2)
    dL_df, dL_dW1, dL_db1 = affine_backward(relu_backward(dL_dh, forward.z), forward.f, W1)
    for name, value in (("dL_dh", dL_dh), ("dL_dW2", dL_dW2), ("dL_db2", dL_db2),
                        ("dL_dW1", dL_dW1), ("dL_db1", dL_db1)):
        torch.testing.assert_close(value, getattr(grads, name), msg=name)
    x = f.clone().requires_grad_(True)
    cross_entropy(torch.relu(x @ W1 + b1) @ W2 + b2, y).backward()
    torch.testing.assert_close(dL_df, x.grad)


def test_affine_backward_names_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match="shapes do not fit"):
        affine_backward(torch.ones(2, 3), torch.ones(2, 2), torch.ones(2, 2))


@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_gradient_matches_autograd_and_leaves_the_parameter_alone(seed):
    f, W, b, y = random_linear(seed, 4, 3, 3)
    before = W.clone()
    numeric = numerical_gradient(lambda W_: linear_forward(f, W_, b, y).loss, W)
    assert torch.equal(W, before)
    torch.testing.assert_close(numeric, autograd_linear(f, W, b, y)["dL_dW"], rtol=1e-6, atol=1e-7)


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    # central differences are exact for a quadratic: the h^2 error term needs a third derivative
    p = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    numeric = numerical_gradient(lambda q: (q ** 2).sum() + 3 * q[0], p, h=1e-3)
    torch.testing.assert_close(numeric, 2 * p + torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64))


# --- Input checks -----------------------------------------------------------------

def good_linear():
    return {"f": torch.tensor([[-10.0, 20.0]]), "W": torch.tensor([[1.0, 2.0], [2.0, 1.0]]),
            "b": torch.zeros(2), "y": torch.tensor([1])}


@pytest.mark.parametrize("change, error, fragment", [
    ({"f": torch.tensor([-10.0, 20.0])}, ValueError, "f.unsqueeze(0)"),
    ({"f": torch.zeros(1, 1, 2)}, ValueError, "f must be 2-D (N, in_features)"),
    ({"f": torch.tensor([[-10, 20]])}, ValueError, "f must hold floats"),
    ({"f": torch.zeros(0, 2), "y": torch.zeros(0, dtype=torch.long)}, ValueError, "no rows"),
    ({"W": torch.ones(3, 2)}, ValueError, "needs shape (2, out_features); got shape (3, 2)"),
    ({"W": torch.ones(3, 2)}, ValueError, "W must have one row per input feature"),
    ({"W": torch.ones(2)}, ValueError, "W must be 2-D"),
    ({"b": torch.zeros(1, 2)}, ValueError, "b.reshape(-1)"),
    ({"b": torch.zeros(3)}, ValueError, "shape (2,); got shape (3,)"),
    ({"y": torch.tensor([1.0])}, ValueError, "integer class labels"),
    ({"y": torch.tensor(1)}, ValueError, "y.reshape(1)"),
    ({"y": torch.tensor([1, 0])}, ValueError, "2 labels but f has 1 rows"),
    ({"y": torch.tensor([2])}, ValueError, "class labels 0 to 1"),
    ({"y": torch.tensor([-1])}, ValueError, "class labels 0 to 1"),
    ({"W": torch.ones(2, 2, dtype=torch.float64)}, ValueError, "W.to(f.dtype)"),
    ({"f": [[-10.0, 20.0]]}, TypeError, "torch.tensor(...)"),
    ({"y": 1}, TypeError, "y must be a torch.Tensor"),
])
def test_linear_forward_rejects_bad_inputs_with_a_helpful_message(change, error, fragment):
    arguments = good_linear() | change
    with pytest.raises(error) as raised:
        linear_forward(**arguments)
    assert fragment in str(raised.value)


def test_transposed_weight_is_named():
    with pytest.raises(ValueError, match="looks transposed"):
        linear_forward(torch.ones(1, 3), torch.ones(2, 3), torch.zeros(3), torch.tensor([0]))


def test_two_layer_shapes_are_checked_layer_by_layer():
    f, y = torch.ones(1, 2), torch.tensor([0])
    with pytest.raises(ValueError, match=r"W1 gives 3 features, so W2 needs shape \(3, out_features\)"):
        two_layer_forward(f, torch.ones(2, 3), torch.zeros(3), torch.ones(2, 2), torch.zeros(2), y)
    with pytest.raises(ValueError, match="b1 must be 1-D"):
        two_layer_forward(f, torch.ones(2, 3), torch.zeros(2), torch.ones(3, 2), torch.zeros(2), y)
    forward = two_layer_forward(f, torch.ones(2, 3), torch.zeros(3), torch.ones(3, 2), torch.zeros(2), y)
    with pytest.raises(ValueError, match=r"W2 must be the \(hidden, out_features\) = \(3, 2\)"):
        two_layer_backward(forward, torch.ones(2, 3))
    with pytest.raises(ValueError, match="must match the forward pass"):
        two_layer_backward(forward, torch.ones(3, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="TwoLayerForward that two_layer_forward returns"):
        two_layer_backward(linear_forward(f, torch.ones(2, 2), torch.zeros(2), y), torch.ones(3, 2))
    with pytest.raises(TypeError, match="LinearForward that linear_forward returns"):
        linear_backward(forward)


def test_records_print_every_field_on_its_own_line():
    forward = linear_forward(**good_linear())
    text = str(forward)
    assert text.splitlines()[0] == "LinearForward"
    for name in ("f", "y", "c", "q", "loss"):
        assert any(line.strip().startswith(f"{name} ") for line in text.splitlines()), name
    assert isinstance(forward, LinearForward) and repr(forward) == text
    grads_text = str(linear_backward(forward))
    assert "dL_dW = tensor([[" in grads_text and len(grads_text.splitlines()) >= 5


# --- Exercise checks -----------------------------------------------------------

def exercise(name: str) -> dict:
    return exercise_data._tensors(getattr(exercise_data, name))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_check_710_accepts_hand_gradients_and_names_mistakes(dtype):
    t = exercise("EXERCISE_710")
    forward = linear_forward(t["f"].to(dtype), t["W"].to(dtype), t["b"].to(dtype), t["y"])
    g = linear_backward(forward)
    assert checks.check_710_gradients(g.dL_dc, g.dL_dW, g.dL_db)
    cases = [
        ((-g.dL_dc, g.dL_dW, g.dL_db), "dL_dc: the sign is flipped"),
        ((forward.q, g.dL_dW, g.dL_db), "this is q itself"),
        ((g.dL_dc, g.dL_dW.T, g.dL_db), "dL_dW: it is transposed"),
        ((g.dL_dc, g.dL_dW, -g.dL_db), "dL_db: the sign is flipped"),
        ((g.dL_dc, g.dL_dW + 0.5, g.dL_db), "different values"),
        ((g.dL_dc, g.dL_dW[0], g.dL_db), "should have shape (2, 2)"),
        ((g.dL_dc.tolist(), g.dL_dW, g.dL_db), "not a torch.Tensor"),
    ]
    for answers, fragment in cases:
        result = checks.check_710_gradients(*answers)
        assert not result and fragment in result.message, (fragment, result.message)


def test_check_720_wants_the_gradient_after_the_first_step():
    t = exercise("EXERCISE_720")
    first = linear_backward(linear_forward(t["first_f"], t["W"], t["b"], t["first_y"]))
    W, b = t["W"] - t["lr"] * first.dL_dW, t["b"] - t["lr"] * first.dL_db
    g = linear_backward(linear_forward(t["f"], W, b, t["y"]))
    assert checks.check_720_gradients(g.dL_dW, g.dL_db)
    at_start = linear_backward(linear_forward(t["f"], t["W"], t["b"], t["y"]))
    result = checks.check_720_gradients(at_start.dL_dW, at_start.dL_db)
    assert not result and "gradients at the starting weights" in result.message


def test_check_730_wants_the_mean_not_the_sum():
    t = exercise("EXERCISE_730")
    g = linear_backward(linear_forward(t["f"], t["W"], t["b"], t["y"]))
    assert checks.check_730_gradients(g.dL_dW, g.dL_db)
    result = checks.check_730_gradients(len(t["y"]) * g.dL_dW, g.dL_db)
    assert not result and "sum over the batch" in result.message and "N = 3" in result.message
    result = checks.check_730_gradients(g.dL_dW, len(t["y"]) * g.dL_db)
    assert not result and result.message.startswith("dL_db: this is the sum")


@pytest.mark.parametrize("name, check", [("EXERCISE_740", checks.check_740_gradients),
                                         ("EXERCISE_750", checks.check_750_gradients)])
def test_two_layer_checks_name_the_relu_mistakes(name, check):
    t = exercise(name)
    forward = two_layer_forward(t["f"], t["W1"], t["b1"], t["W2"], t["b2"], t["y"])
    g = two_layer_backward(forward, t["W2"])
    assert (forward.z <= 0).any(), "the exercise must have a blocked unit"
    assert check(g.dL_dW1, g.dL_db1, g.dL_dW2, g.dL_db2)
    assert check(g.dL_dW1.float(), g.dL_db1.float(), g.dL_dW2.float(), g.dL_db2.float())
    result = check(g.dL_dW1, g.dL_db1, forward.z.T @ g.dL_dc, g.dL_db2)
    assert not result and "pre-activation" in result.message and "h.T @ dL_dc" in result.message
    result = check(forward.f.T @ g.dL_dh, g.dL_db1, g.dL_dW2, g.dL_db2)
    assert not result and result.message.startswith("dL_dW1: the gradient went through a blocked ReLU")
    result = check(g.dL_dW1, g.dL_dh.sum(dim=0), g.dL_dW2, g.dL_db2)
    assert not result and result.message.startswith("dL_db1: the gradient went through a blocked ReLU")
    result = check(g.dL_dW1, g.dL_db1, g.dL_dW2, -g.dL_db2)
    assert not result and "sign is flipped" in result.message


def test_check_750_wants_the_mean_not_the_sum():
    t = exercise("EXERCISE_750")
    g = two_layer_backward(two_layer_forward(t["f"], t["W1"], t["b1"], t["W2"], t["b2"], t["y"]), t["W2"])
    result = checks.check_750_gradients(3 * g.dL_dW1, 3 * g.dL_db1, 3 * g.dL_dW2, 3 * g.dL_db2)
    assert not result and "sum over the batch" in result.message


# --- The computation-graph figure --------------------------------------------------

def two_layer_example(rows: int = 1):
    *_, W1, b1, W2, b2 = course_tensors()
    f = torch.tensor([[-10.0, 20.0], [1.0, -1.0]])[:rows]
    y = torch.tensor([1, 0])[:rows]
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    return forward, two_layer_backward(forward, W2), (W1, b1, W2, b2)


def one_layer_example():
    W, b, *_ = course_tensors()
    forward = linear_forward(torch.tensor([[-10.0, 20.0]]), W, b, torch.tensor([1]))
    return forward, linear_backward(forward), (W, b)


def texts_of(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("layers, point", [(1, 0), (2, 0), (2, 1), (2, -1)])
def test_computation_graph_saves_a_png(tmp_path, layers, point):
    assert matplotlib.get_backend().lower() == "agg"
    forward, grads, params = one_layer_example() if layers == 1 else two_layer_example(rows=2)
    fig = draw_computation_graph(forward, grads, params, point=point, title="test")
    assert isinstance(fig, Figure)
    texts = texts_of(fig)
    assert any("L$ = " in t for t in texts)
    if layers == 2 and point != 0:
        assert "blocked" in texts  # the point [1, -1] blocks both hidden units
    path = tmp_path / "graph.png"
    fig.savefig(path)
    plt.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_computation_graph_shows_biases_so_the_values_add_up():
    """z_0 = f_0 W1[0,0] + f_1 W1[1,0] + b1[0]: every term of the sum is on the figure."""
    forward, grads, params = two_layer_example()
    fig = draw_computation_graph(forward, grads, params)
    texts = texts_of(fig)
    for expected in ("$f_0$ = -10", "$f_1$ = 20", "W1[0,0] = 1", "W1[1,0] = 2", "b1[0] = -1",
                     "$z_0$ = 29", "b2[0] = 5", "b2[1] = 5", "$c_0$ = 121"):
        assert expected in texts, expected
    # each parameter's gradient is drawn in red: dL/dW1, dL/dW2, dL/db1, dL/db2
    red = {t.get_text() for t in fig.axes[0].texts if t.get_color() == GRAD_COLOUR}
    plt.close(fig)
    assert {"-10", "20", "29", "-29", "1", "-1"} <= red


def _overlapping_texts(fig: Figure) -> list[tuple[str, str]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.axes[0].texts if t.get_text()]
    clashes = []
    for k, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[k + 1:]:
            if (box_a.x0 + 1 < box_b.x1 - 1 and box_b.x0 + 1 < box_a.x1 - 1
                    and box_a.y0 + 1 < box_b.y1 - 1 and box_b.y0 + 1 < box_a.y1 - 1):
                clashes.append((a, b))
    return clashes


@pytest.mark.parametrize("layers", [1, 2])
def test_computation_graph_text_is_readable_at_620_pixels_and_never_overlaps(layers):
    forward, grads, params = one_layer_example() if layers == 1 else two_layer_example()
    fig = draw_computation_graph(forward, grads, params, title="Two layers, point [-10, 20] of class 1")
    assert _overlapping_texts(fig) == []
    # A page 1200 pixels wide shows the figure about 620 pixels wide: its smallest text must
    # then be at least 11 pixels high (a point is 1/72 inch; the figure scales as a whole).
    width_inches = fig.get_size_inches()[0]
    smallest = min(t.get_fontsize() for t in fig.axes[0].texts if t.get_text())
    assert smallest / 72 * 620 / width_inches >= 11
    plt.close(fig)


def test_computation_graph_draws_wider_layers():
    f, W1, b1, W2, b2, y = random_two_layer(0, 2, 3, 4, 2, dtype=torch.float32)
    forward = two_layer_forward(f, W1, b1, W2, b2, y)
    fig = draw_computation_graph(forward, two_layer_backward(forward, W2), (W1, b1, W2, b2))
    assert sum("b1[" in t for t in texts_of(fig)) == 4
    plt.close(fig)


def test_computation_graph_rejects_mismatched_arguments():
    forward, grads, (W1, b1, W2, b2) = two_layer_example()
    W, b, *_ = course_tensors()
    linear = linear_forward(torch.ones(1, 2), W, b, torch.tensor([0]))
    with pytest.raises(TypeError, match="two_layer_forward with two_layer_backward"):
        draw_computation_graph(forward, linear_backward(linear), (W1, b1, W2, b2))
    with pytest.raises(ValueError, match="point must be a row index"):
        draw_computation_graph(forward, grads, (W1, b1, W2, b2), point=1)
    with pytest.raises(ValueError, match=r"params must hold the forward pass's \(W1, b1, W2, b2\)"):
        draw_computation_graph(forward, grads, (W1, W2))
    with pytest.raises(ValueError, match="W2 must have shape"):
        draw_computation_graph(forward, grads, (W1, b1, W2.T[:1], b2))
    with pytest.raises(ValueError, match="b1 must have shape"):
        draw_computation_graph(forward, grads, (W1, b1[:1], W2, b2))
    plt.close("all")


def test_format_number_keeps_labels_short():
    assert format_number(0.0) == "0"
    assert format_number(-29.0) == "-29"
    assert format_number(6.47e-26) == "6.47e-26"
    assert format_number(0.88079708) == "0.8808"


# --- On a GPU, when there is one ---------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_hand_gradients_on_the_gpu_equal_autograd_on_the_cpu():
    f, W1, b1, W2, b2, y = random_two_layer(0, 8, 3, 4, 2, dtype=torch.float32)
    on_gpu = [t.cuda() for t in (f, W1, b1, W2, b2, y)]
    grads = two_layer_backward(two_layer_forward(*on_gpu), on_gpu[3])
    want = autograd_two_layer(f, W1, b1, W2, b2, y)
    for name in ("dL_dW1", "dL_db1", "dL_dW2", "dL_db2"):
        assert getattr(grads, name).is_cuda
        torch.testing.assert_close(getattr(grads, name).cpu(), want[name], msg=name)
    lin = linear_backward(linear_forward(on_gpu[0], on_gpu[1], on_gpu[2], on_gpu[5]))
    assert lin.dL_dW.is_cuda
    fig = draw_computation_graph(two_layer_forward(*on_gpu), grads, on_gpu[1:5])
    assert isinstance(fig, Figure)
    plt.close(fig)
