"""Building blocks shared by the network families.

Only standard Keras layers are used (no Lambda, no raw TensorFlow ops), so
that a saved network loads anywhere without running code from the file.
"""

from __future__ import annotations

from typing import Any

from golois.network.framework import keras

L = keras.layers
Tensor = Any


def conv_bn(x: Tensor, filters: int, kernel: int, activation: str | None, groups: int = 1) -> Tensor:
    """Convolution (no bias: BatchNorm has one), BatchNorm, then the activation if any."""
    x = L.Conv2D(filters, kernel, padding="same", use_bias=False, groups=groups)(x)
    x = L.BatchNormalization()(x)
    return L.Activation(activation)(x) if activation else x


def depthwise_bn(x: Tensor, kernel: int, activation: str | None) -> Tensor:
    x = L.DepthwiseConv2D(kernel, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    return L.Activation(activation)(x) if activation else x


def squeeze_excite(x: Tensor, squeezed: int, activation: str) -> Tensor:
    """Rescales each channel by a gate computed from the whole board."""
    channels = x.shape[-1]
    gate = L.GlobalAveragePooling2D(keepdims=True)(x)
    gate = L.Dense(squeezed, activation=activation)(gate)
    gate = L.Dense(channels, activation="sigmoid")(gate)
    return L.Multiply()([x, gate])


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleaves the channels of the groups so that the next group convolution mixes them."""
    height, width, channels = x.shape[1:]
    x = L.Reshape((height, width, groups, channels // groups))(x)
    x = L.Permute((1, 2, 4, 3))(x)
    return L.Reshape((height, width, channels))(x)


def residual_add(shortcut: Tensor, x: Tensor, activation: str | None = None) -> Tensor:
    x = L.Add()([shortcut, x])
    return L.Activation(activation)(x) if activation else x
