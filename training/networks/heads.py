"""The Golois input and heads, identical for every family (the engine relies on them)."""

from __future__ import annotations

from typing import Any

from golois.network import BOARD_SHAPE
from golois.network.framework import keras
from golois.training.networks.layers import Tensor

L = keras.layers


def board_input() -> Tensor:
    """The (19, 19, 31) input named 'board', as in the course's networks."""
    return keras.Input(shape=BOARD_SHAPE, name="board")


def policy_head(trunk: Tensor) -> Tensor:
    """A 1x1 convolution to one plane, flattened to 361 points, softmax."""
    x = L.Conv2D(1, 1, padding="same", use_bias=False)(trunk)
    x = L.Flatten()(x)
    return L.Activation("softmax", name="policy")(x)


def value_head(trunk: Tensor, hidden: int, activation: str) -> Tensor:
    """Probability that White wins, from the board-wide average of the trunk."""
    x = L.GlobalAveragePooling2D()(trunk)
    x = L.Dense(hidden, activation=activation)(x)
    return L.Dense(1, activation="sigmoid", name="value")(x)


def golois_model(board: Tensor, trunk: Tensor, activation: str, name: str, value_hidden: int = 32) -> Any:
    """The model from the input through `trunk` to the policy and value heads."""
    return keras.Model(board, [policy_head(trunk), value_head(trunk, value_hidden, activation)], name=name)
