"""The network file contract, shared by the trainer, the engine and the tournament server.

A Golois network is a Keras .h5 file with one input `board` (19, 19, 31)
and two outputs, a 361-way `policy` and a single `value` (P(White wins)),
with at most PARAMETER_LIMIT trainable parameters. This package checks
files against that contract without running code from them
(`allowlist`), loads and saves them (`h5file`), and counts parameters
(`limits`). TensorFlow is imported only when a network is built.
"""

from golois.network.h5file import (
    BOARD_SHAPE,
    DEFAULT_NETWORK,
    NetworkFileError,
    check_golois_interface,
    check_network_description,
    load_network,
    resolve_network_path,
    save_network,
)
from golois.network.limits import (
    PARAMETER_LIMIT,
    OverParameterLimit,
    check_parameter_limit,
    count_parameters,
    refuse_over_limit,
)

__all__ = [
    "BOARD_SHAPE",
    "DEFAULT_NETWORK",
    "PARAMETER_LIMIT",
    "NetworkFileError",
    "OverParameterLimit",
    "check_golois_interface",
    "check_network_description",
    "check_parameter_limit",
    "count_parameters",
    "load_network",
    "refuse_over_limit",
    "resolve_network_path",
    "save_network",
]
