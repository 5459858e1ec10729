"""The image classifiers of part 8, from one linear layer to LeNet-5.

Every model takes a batch of images ``(N, 1, H, W)`` and returns logits
``(N, 10)``, so the one training loop, :func:`dlbasics.training.fit`, trains
them all. A batch of the wrong shape is refused with a message that says
which shape the model wants and how to get it, instead of a matrix-size
error from deep inside PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """How many numbers training adjusts in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def check_images(images: torch.Tensor, size: int, model: str) -> None:
    """Raise a clear ValueError unless ``images`` is a batch ``(N, 1, size, size)``."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{model} takes a tensor of images, got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1:] != (1, size, size):
        hint = (" (a single image? add the batch dimension: images.unsqueeze(0))"
                if images.dim() == 3 else "")
        pad = " (load_mnist(size=32) pads the 28x28 digits to 32x32)" if size == 32 else ""
        raise ValueError(f"{model} expects a batch of images of shape (N, 1, {size}, {size}){pad}, "
                         f"got {tuple(images.shape)}{hint}")


class ImageMLP(nn.Sequential):
    """Fully connected layers on the flattened image: ``sizes[0]`` inputs, ``sizes[-1]`` classes.

    ``ImageMLP([784, 10])`` is one linear layer (softmax regression, chapter
    830); ``ImageMLP([784, 256, 10])`` has one hidden layer of 256 ReLU
    units. Between two linear layers comes ``activation()``, never after the
    last one: its outputs are logits for cross-entropy.
    """

    def __init__(self, sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU, image_size: int = 28):
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"sizes must be two or more positive ints (inputs, ..., classes), got {sizes!r}")
        if sizes[0] != image_size * image_size:
            raise ValueError(f"the first size is the number of pixels, {image_size}*{image_size} = "
                             f"{image_size * image_size}, got {sizes[0]}")
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            if i > 0:
                layers.append(activation())
            layers.append(nn.Linear(n_in, n_out))
        super().__init__(*layers)
        self.image_size = image_size

    @property
    def linear_layers(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_images(images, self.image_size, type(self).__name__)
        return super().forward(images)


class LeNet5(nn.Module):
    """LeNet-5 as the course builds it, on 32x32 images.

    C1: 6 maps from 5x5 convolutions (32 -> 28), S2: 2x2 max pooling (-> 14),
    C3: 16 maps from 5x5 convolutions (-> 10), S4: pooling (-> 5), then the
    16*5*5 = 400 values through fully connected layers C5 (120), F6 (84) and
    the 10 outputs, with ReLU after every convolution and hidden layer.
    """

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)
        self.pool = nn.MaxPool2d(2)
        self.c5 = nn.Linear(16 * 5 * 5, 120)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)
        self.act = nn.ReLU()

    def features(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """The feature maps of every stage, by name, for looking inside."""
        check_images(images, 32, "LeNet5")
        c1 = self.act(self.c1(images))
        s2 = self.pool(c1)
        c3 = self.act(self.c3(s2))
        s4 = self.pool(c3)
        return {"c1": c1, "s2": s2, "c3": c3, "s4": s4}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        flat = self.features(images)["s4"].flatten(start_dim=1)
        return self.output(self.act(self.f6(self.act(self.c5(flat)))))
