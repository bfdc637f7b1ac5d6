"""The course's parameter limit, counted one way everywhere (trainer, server, engine).

The limit counts *trainable* parameters: the weights that gradient descent
learns. BatchNorm's moving mean and variance are statistics, not learned
weights, and do not count. This is why a course network such as the
MixNet saved with 100,245 parameters in all (96,917 trainable) is within
the limit, while a MobileNet with 108,981 trainable parameters is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from golois.errors import GoloisError

PARAMETER_LIMIT = 100_000


class OverParameterLimit(GoloisError, ValueError):
    """A network has more trainable parameters than the course allows."""


def count_parameters(model: Any) -> int:
    """Trainable parameters of a Keras model (Keras 2 or Keras 3)."""
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def check_parameter_limit(model: Any, what: str = "this network", limit: int = PARAMETER_LIMIT) -> int:
    """Returns the trainable parameter count, or raises saying by how much it is over."""
    return refuse_over_limit(count_parameters(model), what, limit)


def refuse_over_limit(params: int, what: str = "this network", limit: int = PARAMETER_LIMIT) -> int:
    """Returns `params`, or raises saying by how much it is over the limit."""
    if params > limit:
        raise OverParameterLimit(
            f"{what} has {params:,} trainable parameters, {params - limit:,} over the limit of {limit:,}")
    return params
