"""Probabilities, confusion matrices, confident mistakes and paired comparisons of classifiers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbasics.evaluation import compare_predictions, confident_mistakes, confusion_matrix, predict_probabilities
from dlbasics.training import evaluate, predict


def test_confusion_matrix_counts_each_pair_of_true_and_predicted_class():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 0, 2])
    confusion = confusion_matrix(labels, predicted)
    for true in range(3):
        for guess in range(3):
            expected = int(((labels == true) & (predicted == guess)).sum())
            assert confusion[true, guess] == expected
    assert confusion.dtype == torch.int64
    assert confusion.trace().item() == int((labels == predicted).sum())


def test_confusion_matrix_has_n_classes_rows_even_for_classes_never_seen():
    confusion = confusion_matrix(torch.tensor([1, 1]), torch.tensor([1, 0]), n_classes=10)
    assert confusion.shape == (10, 10) and confusion.sum() == 2


def test_confusion_matrix_accuracy_agrees_with_evaluate():
    generator = torch.Generator().manual_seed(0)
    features, labels = torch.randn(300, 5, generator=generator), torch.randint(0, 4, (300,), generator=generator)
    model = nn.Linear(5, 4)
    confusion = confusion_matrix(labels, predict(model, features), n_classes=4)
    assert confusion.trace().item() / confusion.sum().item() == pytest.approx(evaluate(model, (features, labels))[1])


@pytest.mark.parametrize("labels,predicted,error,words", [
    ([0, 1], torch.tensor([0, 1]), TypeError, "tensor of class numbers"),
    (torch.tensor([0.0, 1.0]), torch.tensor([0, 1]), TypeError, "integer class numbers"),
    (torch.tensor([0, 1]), torch.rand(2, 3), ValueError, "argmax"),
    (torch.tensor([0, 1]), torch.tensor([0, 1, 1]), ValueError, "differ in length"),
    (torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long), ValueError, "empty"),
    (torch.tensor([0, -1]), torch.tensor([0, 1]), ValueError, "0 to"),
])
def test_confusion_matrix_refuses_bad_input_clearly(labels, predicted, error, words):
    with pytest.raises(error, match=words):
        confusion_matrix(labels, predicted)


def test_confusion_matrix_refuses_classes_beyond_n_classes():
    with pytest.raises(ValueError, match="0 to 2"):
        confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), n_classes=3)


def test_predict_probabilities_is_the_softmax_in_batches_and_restores_training_mode():
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(25, 3, generator=generator)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
    model.train()
    probabilities = predict_probabilities(model, features, batch_size=7)
    assert model.training
    model.eval()
    assert torch.allclose(probabilities, torch.softmax(model(features), dim=1).detach())
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(25))
    assert probabilities.device.type == "cpu" and not probabilities.requires_grad


def test_predict_probabilities_refuses_bad_input():
    with pytest.raises(TypeError, match="tensor"):
        predict_probabilities(nn.Linear(3, 2), [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="batch_size"):
        predict_probabilities(nn.Linear(3, 2), torch.zeros(2, 3), batch_size=0)


def test_confident_mistakes_are_wrong_and_sorted_by_confidence():
    probabilities = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.95, 0.05]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    mistakes = confident_mistakes(probabilities, labels, count=10)
    confidence, predicted = probabilities.max(dim=1)
    assert (predicted[mistakes] != labels[mistakes]).all()
    assert len(mistakes) == int((predicted != labels).sum())
    assert (confidence[mistakes][:-1] >= confidence[mistakes][1:]).all()
    assert mistakes.tolist()[:2] == confident_mistakes(probabilities, labels, count=2).tolist()


def test_confident_mistakes_refuses_mismatched_input():
    with pytest.raises(ValueError, match="2-D"):
        confident_mistakes(torch.rand(4), torch.tensor([0, 1, 0, 1]), count=2)
    with pytest.raises(ValueError, match="differ in length"):
        confident_mistakes(torch.rand(3, 2), torch.tensor([0, 1]), count=2)


def test_compare_predictions_pairs_the_answers_example_by_example():
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    first = torch.tensor([0, 1, 2, 0, 0, 0])     # right on 0, 1, 2
    second = torch.tensor([0, 0, 2, 3, 4, 0])    # right on 0, 2, 3, 4
    table = compare_predictions(labels, first, second)
    assert table.tolist() == [[2, 1], [2, 1]]
    assert table.sum() == len(labels)
    assert table[0].sum() == int((first == labels).sum()) and table[:, 0].sum() == int((second == labels).sum())


def test_compare_predictions_refuses_different_lengths():
    with pytest.raises(ValueError, match="one entry per example"):
        compare_predictions(torch.tensor([0, 1]), torch.tensor([0, 1]), torch.tensor([0]))


def test_same_class_blends_mix_two_right_examples_of_one_class():
    from dlbasics.evaluation import same_class_blends

    images = torch.arange(8.0).reshape(8, 1, 1, 1)
    labels = torch.tensor([0, 1, 0, 1, 0, 1, 0, 0])
    correct = torch.tensor([True, True, True, True, False, True, True, True])
    blends, classes = same_class_blends(images, labels, correct, pairs_per_class=2, weights=(0.5,))
    # class 0: right examples 0, 2, 6, 7 -> pairs (0, 2), (6, 7); class 1: 1, 3, 5 -> pair (1, 3)
    assert blends.flatten().tolist() == [1.0, 6.5, 2.0]
    assert classes.tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="boolean"):
        same_class_blends(images, labels, correct.long())


def test_a_linear_classifier_keeps_the_class_of_every_blend():
    from dlbasics.evaluation import same_class_blends

    generator = torch.Generator().manual_seed(2)
    images = torch.randn(400, 1, 2, 2, generator=generator)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    predicted = predict(model, images)
    blends, classes = same_class_blends(images, predicted, torch.ones(400, dtype=torch.bool), pairs_per_class=50)
    assert len(blends) > 0 and (predict(model, blends) == classes).all()
