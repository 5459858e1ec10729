"""Plotting helpers: they work in a plain script and reject shapes they cannot draw."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from dlbasics.plotting import (draw_layer, plot_decision_boundary, plot_loss_curves, plot_points,  # noqa: E402
                               show_images, show_matrix)


def test_every_helper_draws_and_saves_from_a_plain_script(tmp_path):
    script = textwrap.dedent("""
        import sys, torch
        from dlbasics.plotting import *
        out = sys.argv[1]
        x = torch.randn(50, 2, requires_grad=True)   # grad-tracking tensors are fine
        y = (x[:, 0] > 0).long()
        W, b = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.zeros(2)
        figures = {
            "matrix": show_matrix(torch.arange(6.0).reshape(2, 3)),
            "images": show_images(torch.rand(5, 1, 8, 8), titles=list("abcde")),
            "rgb": show_images(torch.rand(2, 3, 8, 8)),
            "layer": draw_layer(W, b),
            "points": plot_points(x, y),
            "boundary": plot_decision_boundary(lambda p: p @ W + b, x, y, resolution=40),
            "loss": plot_loss_curves({"train": [3, 2, 1], "test": [3.5, 2.5, 2]}),
        }
        for name, fig in figures.items():
            fig.savefig(f"{out}/{name}.png")
    """)
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    for name in ("matrix", "images", "rgb", "layer", "points", "boundary", "loss"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_boundary_separates_the_classes_the_model_picks():
    fig = plot_decision_boundary(torch.nn.Linear(2, 2), torch.randn(20, 2), torch.randint(0, 2, (20,)))
    assert len(fig.axes) == 1


@pytest.mark.parametrize("call, fragment", [
    (lambda: show_images(torch.rand(28, 28)), "for one image use x.unsqueeze(0)"),
    (lambda: show_images(torch.rand(2, 2, 8, 8)), "C = 1 or 3"),
    (lambda: show_images(torch.rand(2, 8, 8), titles=["one"]), "1 titles for 2 images"),
    (lambda: show_matrix(torch.rand(2, 2, 2)), "1-D or 2-D"),
    (lambda: draw_layer(torch.rand(3)), "must be 2-D"),
    (lambda: draw_layer(torch.rand(2, 3), torch.rand(2)), "3 values, one per output"),
    (lambda: plot_points(torch.rand(5, 3), torch.zeros(5)), "shape (N, 2)"),
    (lambda: plot_points(torch.rand(5, 2), torch.zeros(4)), "one per point"),
    (lambda: plot_decision_boundary(lambda p: p.sum(1), torch.rand(5, 2), torch.zeros(5)), "scores (M, classes)"),
    (lambda: plot_loss_curves({}), "curves is empty"),
])
def test_shapes_that_cannot_be_drawn_are_explained(call, fragment):
    with pytest.raises(ValueError) as err:
        call()
    assert fragment in str(err.value)


def test_show_templates_shares_one_scale_centred_at_zero():
    from dlbasics.plotting import show_templates

    maps = torch.zeros(3, 1, 4, 4)
    maps[0, 0, 0, 0], maps[2, 0, 1, 1] = 2.0, -0.5
    fig = show_templates(maps, titles=["a", "b", "c"], ncols=2)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    assert all(image.get_clim() == (-2.0, 2.0) for image in images)
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar says what colour means
    clipped = show_templates(maps, limit=0.5)
    assert all(ax.images[0].get_clim() == (-0.5, 0.5) for ax in clipped.axes if ax.images)
    with pytest.raises(ValueError, match="limit"):
        show_templates(maps, limit=0)
    with pytest.raises(ValueError, match="reshape"):
        show_templates(torch.zeros(10, 784))
    with pytest.raises(ValueError, match="titles"):
        show_templates(maps, titles=["a"])


def test_show_templates_masks_values_out_of_the_picture_and_the_scale():
    from dlbasics.plotting import show_templates

    maps = torch.zeros(2, 3, 3)
    maps[:, 0, 0] = 9.0  # a border value that would set the scale
    maps[0, 1, 1], maps[1, 2, 2] = 0.5, -0.25
    keep = torch.ones(3, 3, dtype=torch.bool)
    keep[0, 0] = False
    fig = show_templates(maps, mask=keep)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert all(image.get_clim() == (-0.5, 0.5) for image in images)
    assert all(image.get_array().mask[0, 0] and not image.get_array().mask[1, 1] for image in images)
    per_map = torch.stack([keep, ~keep])
    assert show_templates(maps, mask=per_map).axes[1].images[0].get_array().mask[1, 1]
    with pytest.raises(ValueError, match="boolean"):
        show_templates(maps, mask=keep.float())
    with pytest.raises(ValueError, match="boolean"):
        show_templates(maps, mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="nothing to draw"):
        show_templates(maps, mask=torch.zeros(3, 3, dtype=torch.bool))


def test_show_confusion_matrix_writes_every_count_and_colours_only_mistakes():
    from dlbasics.plotting import show_confusion_matrix

    confusion = torch.tensor([[50, 2, 0], [1, 40, 5], [0, 3, 60]])
    fig = show_confusion_matrix(confusion)
    ax = fig.axes[0]
    texts = sorted(int(t.get_text()) for t in ax.texts)
    assert texts == sorted(confusion.flatten().tolist())
    assert ax.images[-1].get_clim() == (0.0, 5.0)  # the largest mistake, not the largest count
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    with pytest.raises(ValueError, match="square"):
        show_confusion_matrix(torch.zeros(2, 3))
