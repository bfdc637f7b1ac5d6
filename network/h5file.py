""".h5 network files: checked before loading, saved so that both Keras 2 and 3 read them.

A Keras .h5 file carries its architecture as JSON. Every file is opened
here: its HDF5 structure is audited first (`hdf5_audit`: no links out of the
file, no external storage, no plug-in filters, a bounded size), then the
description is checked (`allowlist`) before any layer is built, from the same
open file that is then loaded, so the file cannot change between check and load.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import h5py

from golois import PLANES, SIZE
from golois.errors import GoloisError
from golois.files import atomic_path
from golois.network.allowlist import UnsafeNetwork, check_safe_description, layer_configs
from golois.network.hdf5_audit import AuditReport, UnsafeHDF5, audit_hdf5

DEFAULT_NETWORK = Path(__file__).parent / "default" / "golois-default.h5"
BOARD_SHAPE = (SIZE, SIZE, PLANES)


class NetworkFileError(GoloisError, ValueError):
    """A file that is not a usable Golois network, with the reason."""


def resolve_network_path(name: str | Path) -> Path:
    """`default` names the bundled network; anything else is a path."""
    path = DEFAULT_NETWORK if str(name) == "default" else Path(name)
    if not path.is_file():
        raise NetworkFileError(f"network file not found: {path}")
    return path


def read_model_config(h5: h5py.File, path: Path) -> dict[str, Any]:
    """The architecture JSON of an open Keras .h5 file, without building anything."""
    raw = h5.attrs.get("model_config")
    if raw is None:
        raise NetworkFileError(f"{path} holds no Keras model (weights only?); save the whole model with model.save")
    try:
        config = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise NetworkFileError(f"{path}: the model description is not valid JSON") from error
    if not isinstance(config, dict):
        raise NetworkFileError(f"{path}: the model description is not a Keras model")
    return config


def open_audited(path: Path) -> tuple[h5py.File, AuditReport]:
    """The open file and what its audit found; a file that holds more than data is refused, named."""
    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise NetworkFileError(f"{path} is not an HDF5 file (.h5): {error}") from error
    try:
        return h5, audit_hdf5(h5)
    except UnsafeHDF5 as error:
        h5.close()
        raise NetworkFileError(f"{path}: {error}") from error
    except (OSError, RuntimeError, ValueError) as error:  # the library's own errors on damaged metadata
        h5.close()
        raise NetworkFileError(f"{path} is a damaged HDF5 file: {error}") from error


def open_h5(path: Path) -> h5py.File:
    """The file, open for reading once its audit passed."""
    return open_audited(path)[0]


def check_description(h5: h5py.File, path: Path) -> dict[str, Any]:
    """The model description, checked against the allowlists (nothing is built)."""
    config = read_model_config(h5, path)
    try:
        check_safe_description(config)
    except UnsafeNetwork as error:
        raise NetworkFileError(f"{path}: {error}") from error
    return config


def check_network_description(name: str | Path) -> Path:
    """The file of `name`, checked without building anything: it exists, is HDF5, and its description
    names only allowed classes and operations (fast: no TensorFlow)."""
    path = resolve_network_path(name)
    with open_h5(path) as h5:
        check_description(h5, path)
    return path


def load_network(name: str | Path) -> Any:
    """A tf_keras model from a checked .h5 file (or `default`), not compiled.

    Raises NetworkFileError when the file is not a safe Golois network: code
    or unknown classes, wrong input, missing or misshapen policy/value outputs.
    """
    path = resolve_network_path(name)
    with open_h5(path) as h5:
        check_description(h5, path)
        model = build_model(h5, path)
    check_golois_interface(model, path)
    return model


def build_model(h5: h5py.File, path: Path) -> Any:
    """Builds the model of an open file whose description was checked (`check_description`)."""
    from golois.network.framework import keras

    try:
        model = keras.models.load_model(h5, compile=False)
    except Exception as error:  # Keras raises many types for a bad file; all mean "cannot load"
        if isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError":
            raise NetworkFileError(f"{path}: building this network runs out of memory: its layers declare far "
                                   "more weights than a Golois network has") from error
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NetworkFileError(f"{path}: Keras cannot build this network: {first_line[:300]}") from error
    if not isinstance(model, keras.Model) or not model.inputs or not model.outputs:
        raise NetworkFileError(f"{path}: not a Keras model with inputs and outputs")
    return model


def check_golois_interface(model: Any, path: Path | str) -> None:
    """Input (19, 19, 31); outputs a 361-way policy and a single value, in that order."""
    check_input(model, path)
    check_outputs(model, path)


def check_input(model: Any, path: Path | str) -> None:
    inputs = model.inputs
    if len(inputs) != 1 or tuple(inputs[0].shape[1:]) != BOARD_SHAPE:
        shapes = ", ".join(str(tuple(i.shape[1:])) for i in inputs)
        raise NetworkFileError(f"{path}: input shape {shapes}, but Golois networks take {BOARD_SHAPE} (31 planes)")


def check_outputs(model: Any, path: Path | str) -> None:
    sizes = [_flat_size(output) for output in model.outputs]
    if sizes != [361, 1]:
        raise NetworkFileError(f"{path}: outputs of sizes {sizes}, but Golois networks give "
                               "[policy (361), value (1)] in that order")


def _flat_size(tensor: Any) -> int | None:
    size = 1
    for dim in tensor.shape[1:]:
        if dim is None:
            return None
        size *= int(dim)
    return size


def save_network(model: Any, path: str | Path) -> None:
    """Writes `model` as an .h5 file that tf_keras and Keras 3 both load.

    tf_keras records `groups` for DepthwiseConv2D, an argument Keras 3
    refuses; it is always 1 there, so it is dropped. The file is written
    beside its destination and renamed, so a crash never leaves half a file.
    """
    with atomic_path(path) as tmp:
        with warnings.catch_warnings():  # .h5 is "legacy" to Keras, but it is the course's format
            warnings.simplefilter("ignore", UserWarning)
            model.save(tmp, include_optimizer=False, save_format="h5")
        with h5py.File(tmp, "r+") as h5:
            config = json.loads(h5.attrs["model_config"])
            for layer in layer_configs(config):
                if layer.get("class_name") == "DepthwiseConv2D":
                    layer.get("config", {}).pop("groups", None)
            h5.attrs["model_config"] = json.dumps(config)
