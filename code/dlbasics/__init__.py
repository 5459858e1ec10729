"""Deep Learning Basics with PyTorch: the code the chapters import.

Modules follow concepts, not chapters:

- :mod:`dlbasics.runtime`            seeding and the device choice;
- :mod:`dlbasics.paths`              where data sets live on disk;
- :mod:`dlbasics.toydata`            the course's generated toy problems and their file format;
- :mod:`dlbasics.sequences`          toy problem 5 (counting ones), the dates task, characters as ids;
- :mod:`dlbasics.recurrent`          the course's RNN by hand, PyTorch's recurrent layers, seq2seq;
- :mod:`dlbasics.losses`             the course's sigmoid-based loss, beside PyTorch's own;
- :mod:`dlbasics.training`           the one training loop, evaluation and prediction;
- :mod:`dlbasics.sweeps`             the same training over several seeds, summarised;
- :mod:`dlbasics.backprop`           forward and backward passes written out by hand;
- :mod:`dlbasics.plotting`           figures that work in notebooks, the book and scripts;
- :mod:`dlbasics.computation_graph`  a network's values and gradients drawn as a graph;
- :mod:`dlbasics.book`               numbers handed from a chapter's code to its prose;
- :mod:`dlbasics.checks`             checks that tell a reader whether an exercise is right.
"""

from dlbasics.paths import DataDirError, data_dir
from dlbasics.runtime import get_device, seed_everything

__all__ = ["DataDirError", "data_dir", "get_device", "seed_everything"]
__version__ = "0.1.0"
