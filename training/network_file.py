""".h5 network files: checked before loading, saved so that both Keras 2 and 3 read them.

A Keras .h5 file carries its architecture as JSON. Everything in it is
checked before any layer is built: a Lambda layer holds Python bytecode
that would run on loading, so a file that has one is refused. TFOpLambda
layers name TensorFlow operations and are fine.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py

DEFAULT_NETWORK = Path(__file__).parent / "default" / "golois-default.h5"
EXPECTED_INPUT = (19, 19, 31)


class NetworkFileError(ValueError):
    """A file that is not a usable Golois network, with the reason."""


def resolve_network_path(name: str | Path) -> Path:
    """`default` names the bundled network; anything else is a path."""
    path = DEFAULT_NETWORK if str(name) == "default" else Path(name)
    if not path.is_file():
        raise NetworkFileError(f"network file not found: {path}")
    return path


def read_model_config(path: Path) -> dict[str, Any]:
    """The architecture JSON of a Keras .h5 file, without building anything."""
    try:
        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
    except OSError as error:
        raise NetworkFileError(f"{path} is not an HDF5 file (.h5): {error}") from error
    if raw is None:
        raise NetworkFileError(f"{path} holds no Keras model (weights only?); save the whole model with model.save")
    try:
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NetworkFileError(f"{path}: the model description is not valid JSON") from error
    if not isinstance(config, dict):
        raise NetworkFileError(f"{path}: the model description is not a Keras model")
    return config


def layer_configs(config: Any) -> Iterator[dict[str, Any]]:
    """Every layer description, nested models included."""
    if isinstance(config, dict):
        if "class_name" in config:
            yield config
        for value in config.values():
            yield from layer_configs(value)
    elif isinstance(config, list):
        for value in config:
            yield from layer_configs(value)


def refuse_code_layers(config: dict[str, Any], path: Path) -> None:
    lambdas = [layer.get("config", {}).get("name", "?") for layer in layer_configs(config)
               if layer.get("class_name") == "Lambda"]
    if lambdas:
        raise NetworkFileError(
            f"{path} has Lambda layers ({', '.join(map(str, lambdas[:5]))}): they hold Python code, "
            "which Golois never runs; rebuild the network with standard Keras layers")


def load_network(name: str | Path) -> Any:
    """A tf_keras model from a checked .h5 file, not compiled.

    Raises NetworkFileError when the file is not a Golois network: code
    layers, wrong input, missing or misshapen policy/value outputs.
    """
    path = resolve_network_path(name)
    refuse_code_layers(read_model_config(path), path)
    from golois.training.framework import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a bad file; all mean "cannot load"
        raise NetworkFileError(f"{path}: Keras cannot build this network: {error}") from error
    check_golois_interface(model, path)
    return model


def check_golois_interface(model: Any, path: Path | str) -> None:
    """Input (19, 19, 31); outputs a 361-way policy and a single value."""
    inputs = model.inputs
    if len(inputs) != 1 or tuple(inputs[0].shape[1:]) != EXPECTED_INPUT:
        shapes = ", ".join(str(tuple(i.shape[1:])) for i in inputs)
        raise NetworkFileError(f"{path}: input shape {shapes}, but Golois networks take {EXPECTED_INPUT} "
                               "(31 planes)")
    sizes = [int(_flat_size(output)) for output in model.outputs]
    if len(sizes) != 2 or sizes[0] != 361 or sizes[1] != 1:
        raise NetworkFileError(f"{path}: outputs of sizes {sizes}, but Golois networks give "
                               "[policy (361), value (1)] in that order")


def _flat_size(tensor: Any) -> int:
    size = 1
    for dim in tensor.shape[1:]:
        size *= int(dim)
    return size


def save_network(model: Any, path: str | Path) -> None:
    """Writes `model` as an .h5 file that tf_keras and Keras 3 both load.

    tf_keras records `groups` for DepthwiseConv2D, an argument Keras 3
    refuses; it is always 1 there, so it is dropped. The file is written
    beside its destination and renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.h5")
    try:
        with warnings.catch_warnings():  # .h5 is "legacy" to Keras, but it is the course's format
            warnings.simplefilter("ignore", UserWarning)
            model.save(tmp, include_optimizer=False, save_format="h5")
        with h5py.File(tmp, "r+") as h5:
            config = json.loads(h5.attrs["model_config"])
            for layer in layer_configs(config):
                if layer.get("class_name") == "DepthwiseConv2D":
                    layer.get("config", {}).pop("groups", None)
            h5.attrs["model_config"] = json.dumps(config)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
