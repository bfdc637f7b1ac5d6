"""Fast batched inference of a Golois network on the CPU.

A checked network (see `golois.network`) is converted once to the backends
that are installed: ONNX Runtime (through tf2onnx), OpenVINO, and a
TensorFlow graph with a fixed input signature, which always works. Each
conversion must reproduce the Keras outputs within `TOLERANCE` on a test
batch, or it is dropped; in "auto" mode the fastest survivor on a batch of
the search's size is kept. `model.predict` is never used: it costs about
40 ms a call.

Conversions are cached by the SHA-256 of the network file (`GOLOIS_CACHE`,
default ~/.cache/golois/networks): the ONNX model and the OpenVINO IR are
kept with the backend each batch size chose, so a second start of the same
network needs neither TensorFlow nor a conversion (about 1 s instead of 7).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from golois.engine import BACKENDS
from golois.errors import GoloisError
from golois.files import sha256_file, write_atomic
from golois.network import BOARD_SHAPE, load_network, resolve_network_path

TOLERANCE = 1e-4
TF_MARGIN = 1.25  # "auto" takes the TensorFlow graph only when it is this many times faster than the others
CACHE_FORMAT = 1  # bump when what the cache holds changes

Outputs = tuple[np.ndarray, np.ndarray]  # policy (n, 361), value (n,) = P(White wins)
RunBatch = Callable[[np.ndarray], Outputs]


class BackendUnavailable(GoloisError, RuntimeError):
    """A backend is not installed, or cannot convert this network."""


class NetworkOutputError(GoloisError, RuntimeError):
    """The network's outputs cannot be searched (NaN or infinite values)."""


@dataclass
class Evaluator:
    """A network ready for the search: call it on a float32 batch (n, 19, 19, 31)."""

    backend: str
    run: RunBatch
    path: str
    batch_size: int
    rejected: dict[str, str] = field(default_factory=dict)  # backend -> why it was not used
    timings_ms: dict[str, float] = field(default_factory=dict)  # backend -> ms per test batch
    cached: bool = False  # loaded from the conversion cache, without TensorFlow

    def __call__(self, planes: np.ndarray) -> Outputs:
        policy, value = self.run(planes)
        if not (np.isfinite(policy).all() and np.isfinite(value).all()):
            raise NetworkOutputError(f"the network returned NaN or infinite outputs ({self.path})")
        return policy, value


def default_cache_dir() -> Path | None:
    """Where conversions are kept: $GOLOIS_CACHE ('off' disables), else ~/.cache/golois/networks."""
    chosen = os.environ.get("GOLOIS_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "golois" / "networks"


# ---------------------------------------------------------------- runners (no TensorFlow needed)


def _onnx_runner(onnx_bytes: bytes, threads: int) -> RunBatch:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])

    def run(planes: np.ndarray) -> Outputs:
        policy, value = session.run(["policy", "value"], {"planes": planes})
        return policy, value.reshape(-1)

    return run


def _import_openvino() -> Any:
    # The converter reports usage statistics unless its telemetry package is
    # missing; pretending it is missing keeps the engine from phoning home.
    sys.modules.setdefault("openvino_telemetry", None)
    import openvino

    return openvino


def _openvino_runner(model: Any, threads: int) -> RunBatch:
    """`model`: an openvino.Model or the path of a saved IR (.xml)."""
    ov = _import_openvino()
    core = ov.Core()
    compiled = core.compile_model(model if not isinstance(model, Path) else core.read_model(model), "CPU", {
        # Without it the CPU plugin may pick bf16 on recent CPUs: errors near 1e-2.
        "INFERENCE_PRECISION_HINT": "f32",
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
        "INFERENCE_NUM_THREADS": threads,
    })
    request = compiled.create_infer_request()
    policy_port, value_port = compiled.output("policy"), compiled.output("value")

    def run(planes: np.ndarray) -> Outputs:
        result = request.infer({0: planes}, share_inputs=True)
        return result[policy_port].copy(), result[value_port].reshape(-1).copy()

    return run


# ---------------------------------------------------------------- conversions (TensorFlow)


@dataclass
class _Converted:
    run: RunBatch
    save: Callable[[Path], None] = lambda folder: None  # writes what the cached runner needs


def _graph_function(model) -> Callable:
    from golois.network.framework import tf

    spec = tf.TensorSpec([None, *BOARD_SHAPE], tf.float32, name="planes")

    @tf.function(input_signature=[spec], reduce_retracing=True)
    def infer(planes):
        policy, value = model(planes, training=False)
        return {"policy": policy, "value": value}

    return infer


def _tensorflow(model, threads: int) -> _Converted:
    from golois.network.framework import tf

    infer = _graph_function(model)

    def run(planes: np.ndarray) -> Outputs:
        out = infer(tf.constant(planes))
        return out["policy"].numpy(), out["value"].numpy().reshape(-1)

    return _Converted(run)


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


def _onnxruntime(model, threads: int) -> _Converted:
    from golois.network.framework import tf

    try:
        import onnxruntime  # noqa: F401 - only to say early that it is missing
        import tf2onnx
    except ImportError as error:
        raise BackendUnavailable(f"not installed ({error.name})") from error
    if not hasattr(_onnxruntime, "erfc_registered"):
        _register_erfc()
        _onnxruntime.erfc_registered = True
    spec = (tf.TensorSpec([None, *BOARD_SHAPE], tf.float32, name="planes"),)
    try:
        onnx_model, _ = tf2onnx.convert.from_function(_graph_function(model), input_signature=spec, opset=17)
        onnx_bytes = onnx_model.SerializeToString()
        run = _onnx_runner(onnx_bytes, threads)
    except Exception as error:  # tf2onnx raises many kinds; any of them means "does not convert"
        raise BackendUnavailable(f"conversion failed: {str(error).splitlines()[0][:200]}") from error
    return _Converted(run, lambda folder: (folder / "onnxruntime.onnx").write_bytes(onnx_bytes))


def _openvino(model, threads: int) -> _Converted:
    try:
        ov = _import_openvino()
    except ImportError as error:
        raise BackendUnavailable(f"not installed ({error.name})") from error
    try:
        converted = ov.convert_model(_graph_function(model).get_concrete_function())
        run = _openvino_runner(converted, threads)
    except Exception as error:  # OpenVINO raises RuntimeError or its own types
        raise BackendUnavailable(f"conversion failed: {str(error).splitlines()[0][:200]}") from error
    # save_model halves the weights to fp16 unless told not to: the outputs would drift.
    return _Converted(run, lambda folder: ov.save_model(converted, folder / "openvino.xml", compress_to_fp16=False))


_CONVERTERS: dict[str, Callable[..., _Converted]] = {
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
    from golois.network.framework import tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already ran something in this process; its pools stay as they are


# ---------------------------------------------------------------- the cache


class _CacheEntry:
    """The conversions of one network file, in a folder named by its SHA-256.

    `meta.json` is written last: a folder without it is incomplete and ignored.
    It records which backends converted (and why the others did not) and,
    per batch size and thread count, which backend "auto" chose.
    """

    FILES = {"onnxruntime": "onnxruntime.onnx", "openvino": "openvino.xml"}

    def __init__(self, root: Path, digest: str) -> None:
        self.folder = root / digest
        self.meta_path = self.folder / "meta.json"

    def meta(self) -> dict | None:
        try:
            meta = json.loads(self.meta_path.read_text())
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) and meta.get("format") == CACHE_FORMAT else None

    def runner(self, backend: str, threads: int) -> RunBatch:
        if backend == "onnxruntime":
            return _onnx_runner((self.folder / self.FILES[backend]).read_bytes(), threads)
        return _openvino_runner(self.folder / self.FILES[backend], threads)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def store(self, converted: dict[str, _Converted], rejected: dict[str, str]) -> None:
        """Writes a complete entry beside the cache and renames it in, unless another process stored one first."""
        if self.meta() is not None:
            return  # a complete entry, perhaps in use by another engine: keep it
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", dir=self.folder.parent))
        try:
            for conversion in converted.values():
                conversion.save(building)
            kept = sorted(name for name in converted if name in self.FILES)
            meta = {"format": CACHE_FORMAT, "converted": kept, "rejected": rejected, "choices": {}}
            (building / "meta.json").write_text(json.dumps(meta, indent=1))
            self.discard()  # an incomplete or older entry
            building.rename(self.folder)
        except (OSError, RuntimeError):
            pass  # a cache that cannot be written costs speed, never correctness
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def remember_choice(self, key: str, backend: str, timings: dict[str, float]) -> None:
        meta = self.meta()
        if meta is None:
            return
        meta["choices"][key] = {"backend": backend, "timings_ms": timings}
        with contextlib.suppress(OSError):
            write_atomic(self.meta_path, json.dumps(meta, indent=1))


def _fastest(timings: dict[str, float]) -> str:
    """The fastest backend; the TensorFlow graph only when it beats the others by TF_MARGIN, since they
    start from the cache in a second and it needs TensorFlow loaded (seconds) at every start."""
    best = min(timings, key=timings.get)
    cached = _fastest_among(timings, _CacheEntry.FILES)
    if best == "tensorflow" and cached is not None and timings[best] * TF_MARGIN > timings[cached]:
        return cached
    return best


def _fastest_among(timings: dict[str, float], names: Iterable[str]) -> str | None:
    """The fastest of `names` that were timed, or None."""
    return min((name for name in names if name in timings), key=timings.get, default=None)


def _choice_key(batch_size: int, threads: int) -> str:
    return f"batch {batch_size}, threads {threads}"


def _from_cache(entry: _CacheEntry, path: Path, backend: str, threads: int, batch_size: int) -> Evaluator | None:
    """An evaluator built from cached conversions only, or None (then TensorFlow converts)."""
    meta = entry.meta()
    if meta is None:
        return None
    converted = [name for name in meta["converted"] if name in _CacheEntry.FILES]
    rejected = dict(meta["rejected"])
    try:
        if backend != "auto":
            if backend not in converted:
                return None
            return Evaluator(backend, entry.runner(backend, threads), str(path), batch_size, rejected, cached=True)
        choice = meta["choices"].get(_choice_key(batch_size, threads))
        if choice is not None:
            timings = dict(choice["timings_ms"])
            # Where TensorFlow won by its margin, the fastest cached backend still starts in a second.
            name = choice["backend"] if choice["backend"] in converted else _fastest_among(timings, converted)
            if name is None:
                return None
            return Evaluator(name, entry.runner(name, threads), str(path), batch_size, rejected, timings, cached=True)
        if not converted:
            return None
        planes = check_batch(batch_size)
        runners = {name: entry.runner(name, threads) for name in converted}
        timings = {name: _time_batch(run, planes) for name, run in runners.items()}
    except Exception:  # noqa: BLE001 - ONNX Runtime and OpenVINO raise their own types for a damaged file
        entry.discard()  # a damaged entry: convert again, and store the new one in its place
        return None
    best = min(timings, key=timings.get)
    entry.remember_choice(_choice_key(batch_size, threads), best, timings)
    return Evaluator(best, runners[best], str(path), batch_size, rejected, timings, cached=True)


def load_evaluator(model_path: str | Path, backend: str = "auto", threads: int = 1, batch_size: int = 16,
                   log: Callable[[str], None] | None = None, cache: Path | None | str = "default") -> Evaluator:
    """Loads a network (checked, no code runs from the file) and picks the backend.

    `backend` is "auto" (the fastest that converts and matches Keras) or one
    of BACKENDS (falling back to "tensorflow" when it cannot be used).
    `cache` is the conversion cache folder, None for none, or "default"
    (`default_cache_dir()`).
    """
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose auto or one of {', '.join(BACKENDS)}")
    path = resolve_network_path(model_path)
    root = default_cache_dir() if cache == "default" else cache
    entry = _CacheEntry(Path(root), sha256_file(path)) if root is not None else None
    evaluator = _from_cache(entry, path, backend, threads, batch_size) if entry else None
    if evaluator is None:
        evaluator = _convert(path, backend, threads, batch_size, entry)
    evaluator.path = str(model_path)
    if log:
        log(describe(evaluator))
    return evaluator


def _convert(path: Path, backend: str, threads: int, batch_size: int, entry: _CacheEntry | None) -> Evaluator:
    """Converts the network to every wanted backend (TensorFlow), keeps those that match Keras."""
    set_tensorflow_threads(threads)
    model = load_network(path)
    planes = check_batch(batch_size)
    expected_policy, expected_value = model(planes, training=False)
    expected = (expected_policy.numpy(), expected_value.numpy().reshape(-1))
    if not (np.isfinite(expected[0]).all() and np.isfinite(expected[1]).all()):
        raise NetworkOutputError(f"{path}: the network returns NaN or infinite values")
    wanted = list(BACKENDS) if backend == "auto" else [backend, "tensorflow"]
    converted: dict[str, _Converted] = {}
    rejected: dict[str, str] = {}
    timings: dict[str, float] = {}
    chosen: str | None = None
    for name in dict.fromkeys(wanted):
        try:
            conversion = _CONVERTERS[name](model, threads)
            error = _mismatch(conversion.run, planes, expected)
        except BackendUnavailable as why:
            rejected[name] = str(why)
            continue
        if not error <= TOLERANCE:
            rejected[name] = f"outputs differ from Keras by {error:.1e} (> {TOLERANCE:g})"
            continue
        converted[name] = conversion
        if backend != "auto":
            chosen = name
            break
        timings[name] = _time_batch(conversion.run, planes)
    if backend == "auto" and timings:
        chosen = _fastest(timings)
    if chosen is None:
        raise BackendUnavailable("no backend could run this network: " + "; ".join(
            f"{k}: {v}" for k, v in rejected.items()))
    if entry is not None and backend == "auto":  # only a full conversion knows every backend's verdict
        entry.store(converted, rejected)
        entry.remember_choice(_choice_key(batch_size, threads), chosen, timings)
    return Evaluator(chosen, converted[chosen].run, str(path), batch_size, rejected, timings)


def describe(evaluator: Evaluator) -> str:
    """One line: which backend runs, and why the others do not."""
    parts = [f"inference backend: {evaluator.backend}"]
    if evaluator.timings_ms:
        parts.append("(batch {} : {})".format(evaluator.batch_size, ", ".join(
            f"{k} {v:.1f} ms" for k, v in sorted(evaluator.timings_ms.items(), key=lambda kv: kv[1]))))
    if evaluator.cached:
        parts.append("[cached conversion]")
    parts += [f"[{k} not used: {v}]" for k, v in evaluator.rejected.items()]
    return " ".join(parts)
