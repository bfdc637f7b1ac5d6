"""The Golois input and heads, identical for every family (the engine relies on them).

Value heads (training/README.md tells why). `dense`, the first one, pooled
the trunk over the board and fed the averages to a Dense ReLU layer. After a
trunk that ends with a ReLU those averages are positive and nearly the same
for every position, so each hidden unit was on for every position or off
for every position (and then got no gradient): the head was in effect
linear. And a linear head cannot read the value: the trunk sees the board
from the player to move, the target is P(White wins), and turning one into
the other means multiplying by the colour to play.

`conv` (the default): a 1x1 convolution to a few channels with BatchNorm,
mean and max over the board, BatchNorm over the batch (each hidden unit is
on for some positions only), Dense with swish, then the logit that the
player to move wins, turned into P(White wins) by the colour to play
(plane 0), with standard layers only.

The ownership head is an auxiliary output for training only: the final
position of the game (the `end` planes) seen from the player to move, one
softmax per point over {own stone, opponent stone, empty}. It is dropped
when the network is saved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from golois.network import BOARD_SHAPE
from golois.network.framework import keras
from golois.training.networks import VALUE_HEADS
from golois.training.networks.layers import Tensor
from golois.training.networks.sizes import VALUE_CHANNELS, VALUE_HIDDEN

L = keras.layers
OWNERSHIP = "ownership"
POLICY_CONV = "policy_conv"  # the policy head's first layer: its input is the trunk


def board_input() -> Tensor:
    """The (19, 19, 31) input named 'board', as in the course's networks."""
    return keras.Input(shape=BOARD_SHAPE, name="board")


def policy_head(trunk: Tensor) -> Tensor:
    """A 1x1 convolution to one plane, flattened to 361 points, softmax."""
    x = L.Conv2D(1, 1, padding="same", use_bias=False, name=POLICY_CONV)(trunk)
    x = L.Flatten()(x)
    return L.Activation("softmax", name="policy")(x)


def dense_value_head(trunk: Tensor, hidden: int, activation: str) -> Tensor:
    """The first value head: board-wide average of the trunk, Dense, sigmoid (kept to resume old runs)."""
    x = L.GlobalAveragePooling2D()(trunk)
    x = L.Dense(hidden, activation=activation)(x)
    return L.Dense(1, activation="sigmoid", name="value")(x)


def black_to_play(board: Tensor) -> Tensor:
    """(N, 1): plane 0 of the input, 1 when Black is to play and 0 when White is, with standard layers only
    (channels moved first, plane 0 cropped, averaged over the board)."""
    planes = BOARD_SHAPE[-1]
    x = L.Permute((3, 1, 2))(board)  # (31, 19, 19)
    x = L.Cropping2D(((0, planes - 1), (0, 0)))(x)  # (1, 19, 19): plane 0
    x = L.Reshape((*BOARD_SHAPE[:2], 1))(x)
    return L.GlobalAveragePooling2D(name="black_to_play")(x)


def conv_value_head(board: Tensor, trunk: Tensor, hidden: int, activation: str,
                    channels: int = VALUE_CHANNELS) -> Tensor:
    """1x1 convolution + BatchNorm + activation, mean and max over the board, BatchNorm, Dense (swish), the
    logit that the player to move wins; then P(White wins) = sigmoid(a*s + b*s*black + c), with (a, b, c)
    starting at (1, -2, 0): s when White is to play, -s when Black is."""
    x = L.Conv2D(channels, 1, use_bias=False, name="value_conv")(trunk)
    x = L.BatchNormalization(name="value_bn")(x)
    x = L.Activation(activation)(x)
    pooled = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D()(x)])
    pooled = L.BatchNormalization(name="value_pooled_bn")(pooled)  # centred over positions: units gate per position
    x = L.Dense(hidden, activation="swish", name="value_hidden")(pooled)
    to_move = L.Dense(1, name="value_to_move")(x)  # logit: the player to move wins (the trunk's point of view)
    flipped = L.Multiply()([to_move, black_to_play(board)])
    colour = L.Dense(1, activation="sigmoid", name="value")
    value = colour(L.Concatenate()([to_move, flipped]))
    colour.set_weights([np.array([[1.0], [-2.0]], np.float32), np.zeros(1, np.float32)])
    return value


def value_head(board: Tensor, trunk: Tensor, hidden: int, activation: str, kind: str = "conv") -> Tensor:
    """Probability that White wins."""
    if kind == "dense":
        return dense_value_head(trunk, hidden, activation)
    if kind == "conv":
        return conv_value_head(board, trunk, hidden, activation)
    raise ValueError(f"unknown value head {kind!r}; choose one of {', '.join(VALUE_HEADS)}")


def golois_model(board: Tensor, trunk: Tensor, activation: str, name: str, value_hidden: int = VALUE_HIDDEN,
                 value_kind: str = "conv") -> Any:
    """The model from the input through `trunk` to the policy and value heads."""
    return keras.Model(board, [policy_head(trunk), value_head(board, trunk, value_hidden, activation, value_kind)],
                       name=name)


def ownership_head(trunk: Tensor) -> Tensor:
    """Per point, softmax over {own stone, opponent stone, empty} at the end of the game (training only)."""
    x = L.Conv2D(3, 1, name="ownership_conv")(trunk)
    return L.Softmax(axis=-1, name=OWNERSHIP)(x)


def with_ownership(model: Any) -> Any:
    """A training model: `model`'s outputs plus the ownership head, sharing every layer of `model`.

    Saving `model` itself then keeps the Golois interface; the ownership
    head lives only in this wrapper (and in training checkpoints)."""
    trunk = model.get_layer(POLICY_CONV).input
    return keras.Model(model.inputs, [*model.outputs, ownership_head(trunk)], name=f"{model.name}_training")
