"""Fast batched inference of a Golois network on the CPU.

A checked network (see `golois.network.h5file`) is converted once,
when the engine starts, to the backends that are installed: ONNX Runtime
(through tf2onnx), OpenVINO, and a TensorFlow graph with a fixed input
signature, which always works. Each conversion must reproduce the Keras
outputs within `TOLERANCE` on a test batch, or it is dropped; in "auto"
mode the fastest survivor on a batch of the search's size is kept.
`model.predict` is never used: it costs about 40 ms a call.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golois.engine import BACKENDS
from golois.network import BOARD_SHAPE, load_network
from golois.network.framework import tf

TOLERANCE = 1e-4

Outputs = tuple[np.ndarray, np.ndarray]  # policy (n, 361), value (n,) = P(White wins)
RunBatch = Callable[[np.ndarray], Outputs]


class BackendUnavailable(RuntimeError):
    """A backend is not installed, or cannot convert this network."""


@dataclass
class Evaluator:
    """A network ready for the search: call it on a float32 batch (n, 19, 19, 31)."""

    backend: str
    run: RunBatch
    path: str
    batch_size: int
    rejected: dict[str, str] = field(default_factory=dict)  # backend -> why it was not used
    timings_ms: dict[str, float] = field(default_factory=dict)  # backend -> ms per test batch

    def __call__(self, planes: np.ndarray) -> Outputs:
        return self.run(planes)


def _graph_function(model) -> Callable:
    spec = tf.TensorSpec([None, *BOARD_SHAPE], tf.float32, name="planes")

    @tf.function(input_signature=[spec], reduce_retracing=True)
    def infer(planes):
        policy, value = model(planes, training=False)
        return {"policy": policy, "value": value}

    return infer


def _tensorflow(model, threads: int) -> RunBatch:
    infer = _graph_function(model)

    def run(planes: np.ndarray) -> Outputs:
        out = infer(tf.constant(planes))
        return out["policy"].numpy(), out["value"].numpy().reshape(-1)

    return run


def _register_erfc() -> None:
    """tf2onnx has no handler for Erfc (exact GELU lowers to it): erfc = 1 - erf."""
    from tf2onnx import utils
    from tf2onnx.handler import tf_op

    @tf_op("Erfc")
    class Erfc:
        @classmethod
        def version_9(cls, ctx, node, **kwargs):
            node.type = "Erf"
            one = ctx.make_const(utils.make_name("erfc_one"), np.array(1.0, np.float32))
            minus = ctx.insert_new_node_on_output("Sub", node.output[0], name=utils.make_name(node.name + "_1m"))
            ctx.replace_inputs(minus, [one.output[0], node.output[0]])
            ctx.copy_shape(node.output[0], minus.output[0])
            ctx.set_dtype(minus.output[0], ctx.get_dtype(node.output[0]))


def _onnxruntime(model, threads: int) -> RunBatch:
    try:
        import onnxruntime as ort
        import tf2onnx
    except ImportError as error:
        raise BackendUnavailable(f"not installed ({error.name})") from error
    if not hasattr(_onnxruntime, "erfc_registered"):
        _register_erfc()
        _onnxruntime.erfc_registered = True
    spec = (tf.TensorSpec([None, *BOARD_SHAPE], tf.float32, name="planes"),)
    try:
        onnx_model, _ = tf2onnx.convert.from_function(_graph_function(model), input_signature=spec, opset=17)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = ort.InferenceSession(onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # tf2onnx raises many kinds; any of them means "does not convert"
        raise BackendUnavailable(f"conversion failed: {str(error).splitlines()[0][:200]}") from error

    def run(planes: np.ndarray) -> Outputs:
        policy, value = session.run(["policy", "value"], {"planes": planes})
        return policy, value.reshape(-1)

    return run


def _openvino(model, threads: int) -> RunBatch:
    # The converter reports usage statistics unless its telemetry package is
    # missing; pretending it is missing keeps the engine from phoning home.
    sys.modules.setdefault("openvino_telemetry", None)
    try:
        import openvino as ov
    except ImportError as error:
        raise BackendUnavailable(f"not installed ({error.name})") from error
    try:
        converted = ov.convert_model(_graph_function(model).get_concrete_function())
        compiled = ov.Core().compile_model(converted, "CPU", {
            # Without it the CPU plugin may pick bf16 on recent CPUs: errors near 1e-2.
            "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "INFERENCE_NUM_THREADS": threads,
        })
    except Exception as error:  # OpenVINO raises RuntimeError or its own types
        raise BackendUnavailable(f"conversion failed: {str(error).splitlines()[0][:200]}") from error
    request = compiled.create_infer_request()
    policy_port, value_port = compiled.output("policy"), compiled.output("value")

    def run(planes: np.ndarray) -> Outputs:
        result = request.infer({0: planes}, share_inputs=True)
        return result[policy_port].copy(), result[value_port].reshape(-1).copy()

    return run


_CONVERTERS: dict[str, Callable[..., RunBatch]] = {
    "onnxruntime": _onnxruntime,
    "openvino": _openvino,
    "tensorflow": _tensorflow,
}


def check_batch(size: int, seed: int = 7) -> np.ndarray:
    """Random binary planes with the constant plane set: enough to compare backends."""
    rng = np.random.default_rng(seed)
    planes = (rng.random((size, *BOARD_SHAPE)) < 0.3).astype(np.float32)
    planes[..., 30] = 1.0
    return planes


def _time_batch(run: RunBatch, planes: np.ndarray, seconds: float = 0.3) -> float:
    """Median milliseconds of a call, after warm-up calls."""
    for _ in range(3):
        run(planes)
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        run(planes)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _mismatch(run: RunBatch, planes: np.ndarray, expected: Outputs) -> float:
    policy, value = run(planes)
    return max(float(np.max(np.abs(policy - expected[0]))), float(np.max(np.abs(value - expected[1]))))


def set_tensorflow_threads(threads: int) -> None:
    """Caps TensorFlow's own thread pools (possible only before its first operation)."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already ran something in this process; its pools stay as they are


def load_evaluator(model_path: str | Path, backend: str = "auto", threads: int = 1, batch_size: int = 16,
                   log: Callable[[str], None] | None = None) -> Evaluator:
    """Loads a network (checked, no code runs from the file) and picks the backend.

    `backend` is "auto" (the fastest that converts and matches Keras) or one
    of BACKENDS (falling back to "tensorflow" when it cannot be used).
    """
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose auto or one of {', '.join(BACKENDS)}")
    set_tensorflow_threads(threads)
    model = load_network(model_path)
    planes = check_batch(batch_size)
    expected_policy, expected_value = model(planes, training=False)
    expected = (expected_policy.numpy(), expected_value.numpy().reshape(-1))
    wanted = list(BACKENDS) if backend == "auto" else [backend, "tensorflow"]
    chosen: tuple[str, RunBatch] | None = None
    rejected: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name in dict.fromkeys(wanted):
        try:
            run = _CONVERTERS[name](model, threads)
            error = _mismatch(run, planes, expected)
        except BackendUnavailable as why:
            rejected[name] = str(why)
            continue
        if not error <= TOLERANCE:
            rejected[name] = f"outputs differ from Keras by {error:.1e} (> {TOLERANCE:g})"
            continue
        if backend != "auto":
            chosen = (name, run)
            break
        timings[name] = _time_batch(run, planes)
        if chosen is None or timings[name] < timings[chosen[0]]:
            chosen = (name, run)
    if chosen is None:
        raise BackendUnavailable("no backend could run this network: " + "; ".join(
            f"{k}: {v}" for k, v in rejected.items()))
    evaluator = Evaluator(chosen[0], chosen[1], str(model_path), batch_size, rejected, timings)
    if log:
        log(describe(evaluator))
    return evaluator


def describe(evaluator: Evaluator) -> str:
    """One line: which backend runs, and why the others do not."""
    parts = [f"inference backend: {evaluator.backend}"]
    if evaluator.timings_ms:
        parts.append("(batch {} : {})".format(evaluator.batch_size, ", ".join(
            f"{k} {v:.1f} ms" for k, v in sorted(evaluator.timings_ms.items(), key=lambda kv: kv[1]))))
    parts += [f"[{k} not used: {v}]" for k, v in evaluator.rejected.items()]
    return " ".join(parts)
