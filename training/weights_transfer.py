"""A model's weights as a plain .npz that tf_keras and Keras 3 both read.

The GPU machines lent for short training sessions have JAX but no
TensorFlow; there the zoo builds the same network with Keras 3
(network/framework.py) and training/device_train.py trains it. Weights
travel between the two frameworks as numpy arrays, layer by layer in the
model's order; each layer keeps its class name and its arrays' shapes, so
that a model of another shape is refused instead of filled wrongly. A
probe travels with them (random boards of 0s and 1s and what the sending
model answered for them), so the receiving side can check that its model computes
the same thing (`check_probe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from golois.errors import GoloisError
from golois.files import atomic_path

# Differences are measured against each output's spread over the probe (at least PROBE_MIN_SPREAD): a policy of
# 361 small probabilities or a value that barely moves would otherwise hide a wrong layer under an absolute
# tolerance. The GPU's TF32 convolutions left 0.0036 of the spread (the bundled network's session); a
# convolution kernel off by half moved the outputs of small untrained networks by 0.47 to 1.8 of theirs.
PROBE_TOLERANCE = 0.02
PROBE_MIN_SPREAD = 0.05
PROBE_BOARDS = 64


class WeightsMismatch(GoloisError, ValueError):
    """A weights file that does not fit the model, or a model that answers its probe differently."""


def _layers_with_weights(model: Any) -> list[Any]:
    return [layer for layer in model.layers if layer.weights]


def probe_boards(model: Any) -> np.ndarray:
    """PROBE_BOARDS random boards of 0s and 1s of the model's input shape (any input tells two models apart)."""
    shape = (PROBE_BOARDS, *model.inputs[0].shape[1:])
    return np.random.default_rng(0).integers(0, 2, shape).astype(np.float32)


def save_weights(model: Any, path: str | Path, probe: bool = True) -> None:
    """Writes every layer's weights (and the probe: the model's outputs for `probe_boards`) to `path`."""
    arrays: dict[str, np.ndarray] = {}
    layers = _layers_with_weights(model)
    arrays["classes"] = np.array([type(layer).__name__ for layer in layers])
    for i, layer in enumerate(layers):
        for j, weight in enumerate(layer.get_weights()):
            arrays[f"layer{i:03d}_{j}"] = np.asarray(weight, np.float32)
    if probe:
        arrays["probe_input"] = probe_boards(model)
        for k, output in enumerate(_outputs(model, arrays["probe_input"])):
            arrays[f"probe_output{k}"] = output
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_weights(model: Any, path: str | Path) -> None:
    """Sets `model`'s weights from `path`; raises WeightsMismatch (changing nothing) if they do not fit."""
    with np.load(path) as data:
        classes = list(data["classes"])
        layers = _layers_with_weights(model)
        if [type(layer).__name__ for layer in layers] != classes:
            raise WeightsMismatch(f"{path} holds the weights of {len(classes)} layers that are not this model's "
                                  f"{len(layers)} ({model.name})")
        values = []
        for i, layer in enumerate(layers):
            arrays = [data[f"layer{i:03d}_{j}"] for j in range(len(layer.weights))]
            shapes = [tuple(w.shape) for w in layer.get_weights()]
            if [a.shape for a in arrays] != shapes:
                raise WeightsMismatch(f"{path}: layer {i} ({classes[i]}) has weights of shapes "
                                      f"{[a.shape for a in arrays]}, the model's are {shapes}")
            values.append(arrays)
    for layer, arrays in zip(layers, values, strict=True):
        layer.set_weights(arrays)


def check_probe(model: Any, path: str | Path) -> float:
    """The largest difference between `model`'s outputs and those saved with the weights in `path`, as a
    fraction of that output's spread over the probe; raises WeightsMismatch above PROBE_TOLERANCE."""
    with np.load(path) as data:
        if "probe_input" not in data:
            raise WeightsMismatch(f"{path} holds no probe")
        expected = [data[f"probe_output{k}"] for k in range(len(model.outputs))]
        outputs = _outputs(model, data["probe_input"])
    worst = max(float(np.max(np.abs(got - want))) / max(float(np.ptp(want)), PROBE_MIN_SPREAD)
                for got, want in zip(outputs, expected, strict=True))
    if worst > PROBE_TOLERANCE:
        raise WeightsMismatch(f"the model answers the probe of {path} differently "
                              f"(largest difference {worst:.2g} of an output's spread)")
    return worst


def _outputs(model: Any, boards: np.ndarray) -> list[np.ndarray]:
    outputs = model(boards, training=False)
    return [np.asarray(output, np.float32) for output in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
