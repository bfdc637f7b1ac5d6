"""What a network file may describe: standard Keras classes and pure TensorFlow ops.

Loading a Keras .h5 file builds every class its JSON names and calls
every TensorFlow function a TFOpLambda layer names. A Lambda layer holds
Python bytecode, and a TFOpLambda can name any TensorFlow function,
file-system functions included (`io.gfile.rmtree`), called during
loading. So the description is checked against allowlists before
anything is built: an unknown class or operation refuses the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from golois.errors import GoloisError

LAYERS = frozenset({
    "Activation", "ActivityRegularization", "Add", "Average", "AveragePooling2D", "BatchNormalization",
    "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose", "Cropping2D", "Dense", "DepthwiseConv2D", "Dot", "Dropout",
    "ELU", "Flatten", "Functional", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "GroupNormalization", "InputLayer", "LayerNormalization", "LeakyReLU", "MaxPooling2D",
    "Maximum", "Minimum", "Model", "Multiply", "PReLU", "Permute", "ReLU", "RepeatVector", "Reshape",
    "SeparableConv2D", "Sequential", "SlicingOpLambda", "Softmax", "SpatialDropout2D", "Subtract", "TFOpLambda",
    "UnitNormalization", "UpSampling2D", "ZeroPadding2D",
})
HELPERS = frozenset({
    "Constant", "DTypePolicy", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "L1", "L1L2",
    "L2", "LecunNormal", "LecunUniform", "MaxNorm", "MinMaxNorm", "NonNeg", "Ones", "Orthogonal",
    "OrthogonalRegularizer", "Policy", "RandomNormal", "RandomUniform", "TruncatedNormal", "UnitNorm",
    "VarianceScaling", "Zeros",
})
OPS = frozenset({
    "broadcast_to", "cast", "clip_by_value", "concat", "expand_dims", "gather", "identity", "ones_like", "pad",
    "reshape", "split", "squeeze", "stack", "tile", "transpose", "unstack", "zeros_like",
})
OP_FAMILIES = ("math.", "nn.", "__operators__.", "linalg.matmul", "compat.v1.transpose", "image.resize")


def layer_configs(config: Any) -> Iterator[dict[str, Any]]:
    """Every object description (a dict with a class_name) in `config`, nested models included."""
    stack = [config]
    while stack:  # iterative: a hostile file may nest deeper than Python's recursion limit
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


class UnsafeNetwork(GoloisError, ValueError):
    """A network description that names code or classes Golois will not build."""


def is_pure_op(name: object) -> bool:
    return isinstance(name, str) and (name in OPS or name.startswith(OP_FAMILIES))


def check_safe_description(config: dict[str, Any]) -> None:
    """Raises UnsafeNetwork unless every class and TensorFlow op of `config` is allowlisted."""
    layers = list(layer_configs(config))
    lambdas = [str(layer.get("config", {}).get("name", "?")) for layer in layers if layer["class_name"] == "Lambda"]
    if lambdas:
        raise UnsafeNetwork(f"Lambda layers ({', '.join(lambdas[:5])}) hold Python code, which Golois never runs; "
                            "rebuild the network with standard Keras layers")
    unknown = sorted({str(layer["class_name"]) for layer in layers} - LAYERS - HELPERS)
    if unknown:
        raise UnsafeNetwork(f"unknown classes {', '.join(unknown[:5])}: only standard Keras layers are accepted")
    ops = {layer.get("config", {}).get("function") for layer in layers
           if layer["class_name"] in ("TFOpLambda", "SlicingOpLambda")}
    impure = sorted(str(op) for op in ops if not is_pure_op(op))
    if impure:
        raise UnsafeNetwork(f"TensorFlow operations {', '.join(impure[:5])} are not allowed in a network "
                            "(only array and math operations are)")
