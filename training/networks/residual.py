"""Residual network: blocks of two 3x3 convolutions with an identity shortcut."""

from __future__ import annotations

from typing import Any

from golois.training.networks.heads import board_input, golois_model
from golois.training.networks.layers import conv_bn, residual_add


def build_residual(blocks: int, filters: int, activation: str, value_head: str = "conv",
                   **_: Any) -> Any:
    board = board_input()
    x = conv_bn(board, filters, 3, activation)
    for _block in range(blocks):
        y = conv_bn(x, filters, 3, activation)
        y = conv_bn(y, filters, 3, None)
        x = residual_add(x, y, activation)
    name = f"residual_{blocks}x{filters}"
    return golois_model(board, x, activation, name=name, value_kind=value_head)
