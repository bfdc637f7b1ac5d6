"""The network zoo: every family builds a Keras model with the Golois input and heads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

ACTIVATIONS = ("relu", "swish")
VALUE_HEADS = ("conv", "dense")  # see heads.py: `dense` is the first head, whose hidden units died


@dataclass(frozen=True)
class NetworkSpec:
    """An architecture and its sizes. Options a family does not use are ignored."""

    arch: str
    blocks: int
    filters: int
    expansion: int = 1
    groups: int = 1
    activation: str = "relu"
    value_head: str = "conv"

    def describe(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in asdict(self).items())

    def label(self) -> str:
        """How messages name the network: its family, then every setting."""
        return f"{self.arch} ({self.describe()})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Each family's defaults land just under the parameter limit.
DEFAULTS = {
    "residual": NetworkSpec("residual", blocks=6, filters=28, activation="relu"),
    "mobilenet": NetworkSpec("mobilenet", blocks=9, filters=32, expansion=4, activation="relu"),
    "shufflenet": NetworkSpec("shufflenet", blocks=12, filters=64, expansion=2, groups=4, activation="relu"),
    "mixnet": NetworkSpec("mixnet", blocks=8, filters=32, expansion=3, activation="swish"),
    "mixconv": NetworkSpec("mixconv", blocks=16, filters=20, expansion=3, activation="swish"),
}
ARCHITECTURES = tuple(DEFAULTS)


def network_spec(arch: str, **overrides: Any) -> NetworkSpec:
    """The defaults of `arch` with the given sizes changed (None keeps the default)."""
    if arch not in DEFAULTS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    spec = replace(DEFAULTS[arch], **{key: value for key, value in overrides.items() if value is not None})
    if spec.activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {spec.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if spec.value_head not in VALUE_HEADS:
        raise ValueError(f"unknown value head {spec.value_head!r}; choose one of {', '.join(VALUE_HEADS)}")
    if min(spec.blocks, spec.filters, spec.expansion, spec.groups) < 1:
        raise ValueError(f"sizes must be at least 1 ({spec.describe()})")
    return spec


def build_network(spec: NetworkSpec) -> Any:
    """A new, untrained tf_keras model for `spec`."""
    from golois.training.networks.mixnet import build_mixnet
    from golois.training.networks.mobilenet import build_mobilenet
    from golois.training.networks.residual import build_residual
    from golois.training.networks.shufflenet import build_shufflenet

    builders = {"residual": build_residual, "mobilenet": build_mobilenet, "shufflenet": build_shufflenet,
                "mixnet": build_mixnet, "mixconv": build_mixnet}
    return builders[spec.arch](**asdict(spec))
