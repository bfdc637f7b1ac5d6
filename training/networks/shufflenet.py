"""ShuffleNet units: 1x1 group convolution, channel shuffle, 3x3 depthwise, 1x1 group convolution."""

from __future__ import annotations

from typing import Any

from golois.training.networks.heads import board_input, golois_model
from golois.training.networks.layers import channel_shuffle, conv_bn, depthwise_bn, residual_add


def shuffle_unit(x: Any, expansion: int, groups: int, activation: str) -> Any:
    trunk = x.shape[-1]
    y = conv_bn(x, trunk * expansion, 1, activation, groups=groups)
    y = channel_shuffle(y, groups)
    y = depthwise_bn(y, 3, None)
    y = conv_bn(y, trunk, 1, None, groups=groups)
    return residual_add(x, y, activation)


def build_shufflenet(blocks: int, filters: int, expansion: int, groups: int, activation: str, value_head: str = "conv",
                     **_: Any) -> Any:
    if filters % groups or (filters * expansion) % groups:
        raise ValueError(f"filters ({filters}) and filters x expansion must be multiples of groups ({groups})")
    board = board_input()
    x = conv_bn(board, filters, 3, activation)
    for _block in range(blocks):
        x = shuffle_unit(x, expansion, groups, activation)
    name = f"shufflenet_{blocks}x{filters}x{expansion}g{groups}"
    return golois_model(board, x, activation, name=name, value_kind=value_head)
