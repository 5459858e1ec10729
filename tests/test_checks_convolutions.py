"""The checks of chapters 870 and 890 accept right answers and explain the typical wrong ones."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlbasics.checks import (check_870_dead_units, check_870_parameter_count, check_890_output_size,
                             check_890_parameters, check_890_receptive_field)
from dlbasics.checks.convolutions import lenet5_layer_parameters, measured_output_size, receptive_fields
from dlbasics.checks.deep_networks import exercise_870_network
from dlbasics.models import LeNet5, count_parameters

# --- 870: parameters of a fully connected network -------------------------------------


def right_count(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_870_count_accepts_the_formula():
    assert check_870_parameter_count(right_count)


def test_870_count_names_missing_biases_and_biases_per_input():
    def weights_only(sizes):
        return sum(a * b for a, b in zip(sizes, sizes[1:]))

    def bias_per_input(sizes):
        return sum(a * b + a for a, b in zip(sizes, sizes[1:]))

    assert "weights only" in check_870_parameter_count(weights_only).message
    assert "per *output*" in check_870_parameter_count(bias_per_input).message


def test_870_count_refuses_floats_values_and_non_functions():
    float_result = check_870_parameter_count(lambda sizes: float(right_count(sizes)))
    assert not float_result and "int(...)" in float_result.message
    assert "pass the function itself" in check_870_parameter_count(right_count([784, 10])).message
    raising = check_870_parameter_count(lambda sizes: sizes[99])
    assert not raising and "IndexError" in raising.message


# --- 870: dead units ------------------------------------------------------------------


def units_off(model, images, reduce):
    """Per hidden layer, the units whose output is 0 for every image (``all``) or for some (``any``)."""
    counts = []
    values = images
    with torch.no_grad():
        for module in model:
            values = module(values)
            if isinstance(module, torch.nn.ReLU):
                counts.append(int(reduce(values == 0, dim=0).sum()))
    return counts


def right_dead_units(model, images):
    return units_off(model, images, torch.all)


def test_870_dead_units_accept_a_list_or_a_tensor_and_the_network_has_some():
    model, images = exercise_870_network()
    assert sum(right_dead_units(model, images)) > 0
    assert check_870_dead_units(right_dead_units)
    assert check_870_dead_units(lambda *args: torch.tensor(right_dead_units(*args)))


def test_870_dead_units_explain_any_versus_all_the_output_layer_and_fractions():
    def sometimes_off(model, images):
        return units_off(model, images, torch.any)

    def with_output(model, images):
        return right_dead_units(model, images) + [0]

    def fractions(model, images):
        widths = [layer.out_features for layer in model.linear_layers[:-1]]
        return [n / w for n, w in zip(right_dead_units(model, images), widths)]

    assert "*every* image" in check_870_dead_units(sometimes_off).message
    assert "output layer" in check_870_dead_units(with_output).message
    assert "fractions" in check_870_dead_units(fractions).message
    assert "pass the function itself" in check_870_dead_units([1, 2]).message
    assert "list or a 1-D tensor" in check_870_dead_units(lambda *args: "none").message


# --- 890: output sizes --------------------------------------------------------------------


def right_size(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def test_890_measured_sizes_follow_the_formula_and_pooling_agrees():
    for size, kernel, stride, padding in [(32, 5, 1, 0), (28, 3, 2, 1), (11, 3, 3, 0)]:
        assert measured_output_size(size, kernel, stride, padding) == right_size(size, kernel, stride, padding)
    pooled = F.max_pool2d(torch.zeros(1, 1, 28, 28), 2)
    assert pooled.shape[-1] == measured_output_size(28, 2, 2)


def test_890_size_accepts_the_formula():
    assert check_890_output_size(right_size)


def test_890_size_explains_true_division_the_missing_one_stride_and_padding():
    def true_division(size, kernel, stride=1, padding=0):
        return (size + 2 * padding - kernel) / stride + 1

    def without_one(size, kernel, stride=1, padding=0):
        return right_size(size, kernel, stride, padding) - 1

    def no_stride_no_padding(size, kernel, stride=1, padding=0):
        return size - kernel + 1

    def padding_once(size, kernel, stride=1, padding=0):
        return (size + padding - kernel) // stride + 1

    assert "// instead of /" in check_890_output_size(true_division).message
    assert "+ 1" in check_890_output_size(without_one).message
    assert "ignores the stride" in check_890_output_size(no_stride_no_padding).message
    assert "each side" in check_890_output_size(padding_once).message
    assert "pass the function itself" in check_890_output_size(28).message


# --- 890: parameters of LeNet-5 ----------------------------------------------------------


def counted_by_hand():
    model = LeNet5()
    counts = {}
    for name in ("c1", "c3"):
        conv = getattr(model, name)
        k = conv.kernel_size[0]
        counts[name] = conv.out_channels * (conv.in_channels * k * k + 1)
    for name in ("c5", "f6", "output"):
        linear = getattr(model, name)
        counts[name] = linear.out_features * (linear.in_features + 1)
    return counts


def test_890_layer_counts_add_up_to_the_model():
    assert sum(lenet5_layer_parameters().values()) == count_parameters(LeNet5())
    assert lenet5_layer_parameters() == counted_by_hand()


def test_890_parameters_accept_the_right_counts():
    assert check_890_parameters(counted_by_hand())


def test_890_parameters_explain_biases_input_maps_types_and_keys():
    model = LeNet5()
    no_bias = {**counted_by_hand(), "f6": model.f6.weight.numel()}
    assert "weights only" in check_890_parameters(no_bias).message
    one_input_map = {**counted_by_hand(), "c3": 16 * (5 * 5 + 1)}
    assert "all 6 input maps" in check_890_parameters(one_input_map).message
    floats = {name: float(value) for name, value in counted_by_hand().items()}
    assert "int(...)" in check_890_parameters(floats).message
    missing = dict(counted_by_hand())
    del missing["output"]
    assert "'output'" in check_890_parameters(missing).message
    assert "a dict" in check_890_parameters(list(counted_by_hand().values())).message


# --- 890: receptive field ---------------------------------------------------------------


def test_890_receptive_fields_match_the_gradient_of_a_linear_copy():
    # With average pooling and no ReLU every input pixel in the field moves the output:
    # the pixels with a non-zero gradient are exactly the receptive field.
    model = LeNet5()
    image = torch.zeros(1, 1, 32, 32, requires_grad=True)
    with torch.no_grad():
        for conv in (model.c1, model.c3):
            conv.weight.fill_(1.0)
    s4 = F.avg_pool2d(model.c3(F.avg_pool2d(model.c1(image), 2)), 2)
    s4[0, 0, 2, 2].backward()
    rows = image.grad[0, 0].abs().sum(dim=1).nonzero()
    assert rows.max() - rows.min() + 1 == receptive_fields()["s4"]


def test_890_receptive_field_accepts_the_answer_and_names_earlier_stages():
    fields = receptive_fields()
    assert check_890_receptive_field(fields["s4"])
    assert check_890_receptive_field(torch.tensor(fields["s4"]))
    assert "C3" in check_890_receptive_field(fields["c3"]).message
    assert "C1" in check_890_receptive_field(fields["c1"]).message
    assert not check_890_receptive_field(fields["s4"] + 1)
    assert "one number" in check_890_receptive_field("16").message
