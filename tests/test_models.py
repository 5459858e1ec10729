"""The image classifiers of part 8: shapes, parameter counts and the errors for wrong inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbasics.models import ImageMLP, LeNet5, count_parameters


def conv_parameters(in_maps, out_maps, kernel):
    return out_maps * (in_maps * kernel * kernel + 1)


def linear_parameters(n_in, n_out):
    return n_in * n_out + n_out


def test_image_mlp_layers_and_parameters_follow_the_sizes():
    sizes = [784, 256, 128, 10]
    model = ImageMLP(sizes)
    assert [(m.in_features, m.out_features) for m in model.linear_layers] == list(zip(sizes, sizes[1:]))
    assert count_parameters(model) == sum(linear_parameters(a, b) for a, b in zip(sizes, sizes[1:]))
    assert sum(isinstance(m, nn.ReLU) for m in model) == len(sizes) - 2  # none after the last layer
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 10)


def test_image_mlp_takes_another_activation_and_32_pixel_images():
    model = ImageMLP([1024, 20, 10], activation=nn.Sigmoid, image_size=32)
    assert any(isinstance(m, nn.Sigmoid) for m in model)
    assert model(torch.rand(3, 1, 32, 32)).shape == (3, 10)


@pytest.mark.parametrize("sizes, words", [([784], "two or more"), ([784, 0, 10], "positive"),
                                          ([784, 2.5, 10], "positive ints"), ([100, 10], "number of pixels")])
def test_image_mlp_refuses_bad_sizes(sizes, words):
    with pytest.raises(ValueError, match=words):
        ImageMLP(sizes)


def test_lenet5_has_the_parameters_its_layer_sizes_give():
    # C1: 6 maps of 5x5 on 1 input map; C3: 16 maps of 5x5 on 6; then 16*5*5 -> 120 -> 84 -> 10.
    expected = (conv_parameters(1, 6, 5) + conv_parameters(6, 16, 5) + linear_parameters(16 * 5 * 5, 120)
                + linear_parameters(120, 84) + linear_parameters(84, 10))
    assert count_parameters(LeNet5()) == expected == 61_706


def test_lenet5_outputs_and_feature_map_sizes():
    model = LeNet5()
    images = torch.rand(4, 1, 32, 32)
    maps = model.features(images)
    assert {name: tuple(value.shape) for name, value in maps.items()} == {
        "c1": (4, 6, 28, 28), "s2": (4, 6, 14, 14), "c3": (4, 16, 10, 10), "s4": (4, 16, 5, 5)}
    assert model(images).shape == (4, 10)
    assert (maps["c1"] >= 0).all()  # after the ReLU


def test_lenet5_forward_is_its_features_then_the_fully_connected_layers():
    model = LeNet5()
    images = torch.rand(2, 1, 32, 32)
    flat = model.features(images)["s4"].flatten(start_dim=1)
    by_hand = model.output(torch.relu(model.f6(torch.relu(model.c5(flat)))))
    assert torch.allclose(model(images), by_hand)


@pytest.mark.parametrize("shape, words", [((2, 1, 28, 28), "size=32"), ((1, 32, 32), "unsqueeze"),
                                          ((2, 3, 32, 32), r"\(N, 1, 32, 32\)")])
def test_lenet5_explains_wrong_input_shapes(shape, words):
    with pytest.raises(ValueError, match=words):
        LeNet5()(torch.rand(shape))


def test_models_refuse_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="tensor"):
        ImageMLP([784, 10])([[0.0] * 784])
    with pytest.raises(ValueError, match="unsqueeze"):
        ImageMLP([784, 10])(torch.rand(1, 28, 28))
