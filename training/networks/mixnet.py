"""MixNet-style blocks: inverted residuals whose depthwise convolutions mix kernel sizes,
gated by squeeze-and-excitation. Two families: `mixnet` (3x3 and 5x5, a few wide blocks)
and `mixconv` (3x3, 5x5 and 7x7, many narrow blocks, the shape of the best course networks).

The larger kernels widen the receptive field cheaply (a Go group's fate often
depends on stones far away), and the excitation gate gives every point a
view of the whole board. The expansion is made of two 1x1 convolutions,
one per kernel size, which is the same function as one expansion split in
two, but without a Split operation that Keras 2 would save as a TF op.
"""

from __future__ import annotations

from typing import Any

from golois.network.framework import keras
from golois.training.networks.heads import board_input, golois_model
from golois.training.networks.layers import conv_bn, depthwise_bn, residual_add, squeeze_excite
from golois.training.networks.sizes import MIXED_KERNELS, squeezed_width

L = keras.layers


def mixed_block(x: Any, expansion: int, activation: str, kernels: tuple[int, ...]) -> Any:
    trunk = x.shape[-1]
    share = trunk * expansion // len(kernels)
    branches = [depthwise_bn(conv_bn(x, share, 1, activation), kernel, activation) for kernel in kernels]
    y = L.Concatenate()(branches)
    y = squeeze_excite(y, squeezed_width(trunk), activation)
    y = conv_bn(y, trunk, 1, None)
    return residual_add(x, y)


def build_mixnet(arch: str, blocks: int, filters: int, expansion: int, activation: str, value_head: str = "conv",
                 **_: Any) -> Any:
    board = board_input()
    x = conv_bn(board, filters, 3, activation)
    for _block in range(blocks):
        x = mixed_block(x, expansion, activation, MIXED_KERNELS[arch])
    name = f"{arch}_{blocks}x{filters}x{expansion}"
    return golois_model(board, x, activation, name=name, value_kind=value_head)
