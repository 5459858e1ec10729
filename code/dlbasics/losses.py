"""Loss functions the book studies besides PyTorch's own.

PyTorch has cross-entropy (``F.cross_entropy``) and binary cross-entropy; the
original course also proposed a sigmoid-based loss, which chapter 480 puts to
the test against them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def normalised_sigmoid_losses(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The course's alternative loss, per point: ``-log(sigmoid(c_y) / sum_k sigmoid(c_k))``.

    Computed with logarithms throughout (``log sigmoid`` and log-sum-exp), so
    that it stays finite where the sigmoids of all scores underflow to 0.
    ``scores`` has shape (N, classes), ``labels`` shape (N,).
    """
    if scores.dim() != 2 or labels.shape != (scores.shape[0],):
        raise ValueError(f"need scores of shape (N, classes) and labels of shape (N,); got {tuple(scores.shape)} "
                         f"and {tuple(labels.shape)} (for one point use scores.unsqueeze(0))")
    log_s = F.logsigmoid(scores)
    log_q = log_s - torch.logsumexp(log_s, dim=-1, keepdim=True)
    return -log_q.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
