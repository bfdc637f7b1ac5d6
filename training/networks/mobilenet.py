"""MobileNetV2 inverted residuals: 1x1 expand, 3x3 depthwise, 1x1 linear projection."""

from __future__ import annotations

from typing import Any

from golois.training.networks.heads import board_input, golois_model
from golois.training.networks.layers import conv_bn, depthwise_bn, residual_add


def inverted_residual(x: Any, expansion: int, activation: str) -> Any:
    trunk = x.shape[-1]
    y = conv_bn(x, trunk * expansion, 1, activation)
    y = depthwise_bn(y, 3, activation)
    y = conv_bn(y, trunk, 1, None)  # linear bottleneck: no activation after the projection
    return residual_add(x, y)


def build_mobilenet(blocks: int, filters: int, expansion: int, activation: str, value_head: str = "conv",
                    **_: Any) -> Any:
    board = board_input()
    x = conv_bn(board, filters, 3, activation)
    for _block in range(blocks):
        x = inverted_residual(x, expansion, activation)
    name = f"mobilenet_{blocks}x{filters}x{expansion}"
    return golois_model(board, x, activation, name=name, value_kind=value_head)
