"""Trainable parameter counts of the zoo's networks, computed from the spec without building them.

`golois train` refuses a network over the limit before TensorFlow loads (seconds saved on a typing
mistake); the trainer still counts the built model, which is the rule (golois.network.limits).
tests/test_networks.py checks that these sums equal that count for every family.

Counted as Keras counts trainable weights: convolutions without bias (BatchNorm carries it),
BatchNorm's scale and offset (its moving statistics are not trainable), Dense kernels and biases.
"""

from __future__ import annotations

from collections.abc import Callable

from golois.network import BOARD_SHAPE
from golois.training.networks import NetworkSpec

VALUE_CHANNELS = 8  # the `conv` value head's 1x1 convolution (heads.py builds it from these)
VALUE_HIDDEN = 32
MIXED_KERNELS = {"mixnet": (3, 5), "mixconv": (3, 5, 7)}  # depthwise kernel sizes of the mixed families


def conv_bn(inputs: int, outputs: int, kernel: int, groups: int = 1) -> int:
    return kernel * kernel * (inputs // groups) * outputs + 2 * outputs


def depthwise_bn(channels: int, kernel: int) -> int:
    return kernel * kernel * channels + 2 * channels


def dense(inputs: int, outputs: int) -> int:
    return inputs * outputs + outputs


def squeezed_width(trunk: int) -> int:
    """Hidden width of a MixNet block's squeeze-and-excitation gate."""
    return max(8, trunk // 4)


def residual_block(spec: NetworkSpec) -> int:
    return 2 * conv_bn(spec.filters, spec.filters, 3)


def mobilenet_block(spec: NetworkSpec) -> int:
    wide = spec.filters * spec.expansion
    return conv_bn(spec.filters, wide, 1) + depthwise_bn(wide, 3) + conv_bn(wide, spec.filters, 1)


def shufflenet_block(spec: NetworkSpec) -> int:
    wide = spec.filters * spec.expansion
    return (conv_bn(spec.filters, wide, 1, spec.groups) + depthwise_bn(wide, 3)
            + conv_bn(wide, spec.filters, 1, spec.groups))


def mixnet_block(spec: NetworkSpec) -> int:
    kernels = MIXED_KERNELS[spec.arch]
    share = spec.filters * spec.expansion // len(kernels)
    branches = sum(conv_bn(spec.filters, share, 1) + depthwise_bn(share, kernel) for kernel in kernels)
    mixed = share * len(kernels)
    gate = dense(mixed, squeezed_width(spec.filters)) + dense(squeezed_width(spec.filters), mixed)
    return branches + gate + conv_bn(mixed, spec.filters, 1)


BLOCKS: dict[str, Callable[[NetworkSpec], int]] = {
    "residual": residual_block, "mobilenet": mobilenet_block, "shufflenet": shufflenet_block, "mixnet": mixnet_block,
    "mixconv": mixnet_block,
}


def value_head(spec: NetworkSpec) -> int:
    if spec.value_head == "dense":
        return dense(spec.filters, VALUE_HIDDEN) + dense(VALUE_HIDDEN, 1)
    pooled = 2 * VALUE_CHANNELS  # mean and max over the board
    return (conv_bn(spec.filters, VALUE_CHANNELS, 1) + 2 * pooled + dense(pooled, VALUE_HIDDEN)
            + dense(VALUE_HIDDEN, 1) + dense(2, 1))


def trainable_parameters(spec: NetworkSpec) -> int:
    """What `count_parameters(build_network(spec))` returns, without TensorFlow."""
    stem = conv_bn(BOARD_SHAPE[-1], spec.filters, 3)
    policy = spec.filters  # 1x1 convolution to one plane, no bias
    return stem + spec.blocks * BLOCKS[spec.arch](spec) + policy + value_head(spec)
