"""Training on a borrowed GPU machine: weights between tf_keras and Keras 3, the device trainer's batches
and schedule, and both ends of tools/gpu_session.py.

The device trainer itself needs JAX, which the project does not install:
its end-to-end test runs where JAX is importable and is skipped elsewhere.
The weights' journey between the two Keras versions is tested everywhere,
with Keras 3 on TensorFlow (it comes with TensorFlow).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golois import SAMPLE_GAMES, Dataset
from golois.network import load_network
from golois.network.framework import keras
from golois.training.device_train import FINAL_RATE, WARM_UP, _batches, _GpuBatches, learning_rate_at
from golois.training.networks import build_network, network_spec
from golois.training.networks.heads import with_ownership
from golois.training.pipeline import BatchStream, randomise_komi
from golois.training.weights_transfer import WeightsMismatch, check_probe, load_weights, save_weights

TINY = network_spec("residual", blocks=1, filters=8)
TOOL = Path(__file__).resolve().parents[1] / "tools" / "gpu_session.py"


def test_weights_travel_between_two_builds_of_a_network(tmp_path: Path) -> None:
    sent, received = with_ownership(build_network(TINY)), with_ownership(build_network(TINY))
    save_weights(sent, tmp_path / "w.npz")
    load_weights(received, tmp_path / "w.npz")
    for a, b in zip(sent.get_weights(), received.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert check_probe(received, tmp_path / "w.npz") == 0.0


@pytest.mark.parametrize("other", [network_spec("residual", blocks=2, filters=8),
                                   network_spec("residual", blocks=1, filters=16),
                                   network_spec("mobilenet", blocks=1, filters=8)])
def test_weights_of_another_network_are_refused_and_change_nothing(other: object, tmp_path: Path) -> None:
    save_weights(build_network(TINY), tmp_path / "w.npz")
    model = build_network(other)
    before = model.get_weights()
    with pytest.raises(WeightsMismatch):
        load_weights(model, tmp_path / "w.npz")
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_a_model_that_computes_otherwise_fails_the_probe(seed: int, tmp_path: Path) -> None:
    # Untrained networks answer near-uniform policies: under an absolute tolerance most of these seeds passed.
    keras.utils.set_random_seed(seed)
    model = build_network(TINY)
    save_weights(model, tmp_path / "w.npz")
    kernel, *rest = model.layers[1].get_weights()
    model.layers[1].set_weights([kernel * 1.5, *rest])
    with pytest.raises(WeightsMismatch, match="answers the probe"):
        check_probe(model, tmp_path / "w.npz")


KERAS_3_SIDE = """
import sys
from golois.network.framework import keras, tf
from golois.training.networks import network_spec, build_network
from golois.training.networks.heads import with_ownership
from golois.training.weights_transfer import check_probe, load_weights, save_weights
assert tf is None and keras.__version__.startswith("3."), keras.__version__
model = with_ownership(build_network(network_spec("residual")))
load_weights(model, sys.argv[1])
print(check_probe(model, sys.argv[1]))
save_weights(model, sys.argv[2])
"""


def test_keras_3_builds_the_same_network_and_its_weights_come_back(tmp_path: Path) -> None:
    """The default family at full size with the ownership head, from tf_keras to Keras 3 and back."""
    sent = with_ownership(build_network(network_spec("residual")))
    save_weights(sent, tmp_path / "to-keras-3.npz")
    env = {**os.environ, "GOLOIS_KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-c", KERAS_3_SIDE, str(tmp_path / "to-keras-3.npz"),
                           str(tmp_path / "from-keras-3.npz")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) < 1e-4
    back = with_ownership(build_network(network_spec("residual")))
    load_weights(back, tmp_path / "from-keras-3.npz")
    assert check_probe(back, tmp_path / "from-keras-3.npz") < 1e-4
    for a, b in zip(sent.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_streams_one_batch_apart_with_a_stride_read_in_turn_give_one_stream() -> None:
    dataset = Dataset(SAMPLE_GAMES, seed=0, progress=False)
    with BatchStream(dataset, 32, start=64) as one:
        expected = [sample for sample, _ in zip(one, range(6), strict=False)]
    pair = [BatchStream(dataset, 32, start=64 + k * 32, stride=2) for k in range(2)]
    iterators = [iter(stream) for stream in pair]
    got = [next(iterators[i % 2]) for i in range(6)]
    for stream in pair:
        stream.close()
    for (boards, targets), (want_boards, want_targets) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(boards, want_boards)
        np.testing.assert_array_equal(targets["policy"], want_targets["policy"])
    with pytest.raises(ValueError, match="stride"):
        BatchStream(dataset, 32, stride=0)


def test_gpu_batches_are_the_training_batches_with_the_komi_left_to_the_gpu() -> None:
    """Raw arrays from a ring reused many times over, and komi rows that reproduce randomise_komi."""
    dataset = Dataset(SAMPLE_GAMES, seed=0, progress=False)
    with BatchStream(dataset, 16, start=100, ownership=True, random_komi=True, seed=3) as plain:
        expected = [sample for sample, _ in zip(plain, range(20), strict=False)]
    streams = [_GpuBatches(dataset, 16, start=100 + k * 16, seed=3, stride=2) for k in range(2)]
    batches = _batches(streams)
    for want_boards, want_targets in expected:  # 20 batches: each ring of 7 arrays goes round more than once
        arrays, komi_rows = next(batches)
        boards = arrays.input_data.copy()
        randomise_komi(boards, komi_rows)
        np.testing.assert_array_equal(boards, want_boards)
        np.testing.assert_array_equal(arrays.policy, want_targets["policy"])
        np.testing.assert_array_equal(arrays.value[:, None], want_targets["value"])
        np.testing.assert_array_equal(arrays.end, want_targets["ownership"][..., :2])
    for stream in streams:
        stream.close()


def test_the_clock_schedule_warms_up_then_anneals_at_the_deadline() -> None:
    peak = 0.003
    rates = [learning_rate_at(t / 1000, peak) for t in range(1001)]
    top = rates.index(max(rates))
    assert max(rates) == pytest.approx(peak) and top / 1000 == pytest.approx(WARM_UP, abs=1e-3)
    assert all(a <= b for a, b in zip(rates[:top], rates[1:top + 1], strict=True)), "rises during the warm-up"
    assert all(a >= b for a, b in zip(rates[top:], rates[top + 1:], strict=False)), "then only falls"
    assert rates[-1] == pytest.approx(FINAL_RATE * peak) and learning_rate_at(2.0, peak) == rates[-1]
    assert rates[0] > 0 and math.isfinite(sum(rates))


def tiny_run(tmp_path: Path) -> Path:
    from golois.training.config import TrainConfig
    from golois.training.trainer import train

    out = tmp_path / "tiny.h5"
    train(TrainConfig(TINY, SAMPLE_GAMES, out, epochs=1, batch=32, samples_per_epoch=64, validation=20),
          progress=False)
    return out.with_name("tiny.run")


def test_gpu_session_export_then_import(tmp_path: Path) -> None:
    """export: the checkpoint's training model (ownership head included); import: an .h5 that plays the same."""
    run = tiny_run(tmp_path)
    exported = subprocess.run([sys.executable, str(TOOL), "export", str(run), str(tmp_path / "init.npz")],
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0, exported.stderr[-2000:]
    last = load_network(run / "last.h5")
    training_model = with_ownership(build_network(TINY))
    load_weights(training_model, tmp_path / "init.npz")
    assert len(training_model.outputs) == 3
    boards = np.random.default_rng(1).integers(0, 2, (8, 19, 19, 31)).astype(np.float32)
    for got, want in zip(training_model(boards)[:2], last(boards), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)

    save_weights(last, tmp_path / "network.npz")  # what the GPU machine sends back
    imported = subprocess.run([sys.executable, str(TOOL), "import", str(run), str(tmp_path / "network.npz"),
                               str(tmp_path / "back.h5")], capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    back = load_network(tmp_path / "back.h5")
    for got, want in zip(back(boards), last(boards), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)


def test_the_device_trainer_end_to_end(tmp_path: Path) -> None:
    """A few seconds of training with Keras 3 on JAX (where JAX is installed) from an exported run."""
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    run = tiny_run(tmp_path)
    subprocess.run([sys.executable, str(TOOL), "export", str(run), str(tmp_path / "init.npz")], check=True,
                   capture_output=True, timeout=300)
    env = {**os.environ, "GOLOIS_KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-m", "golois.training.device_train", "--run", str(run), "--games",
                           str(SAMPLE_GAMES), "--weights", str(tmp_path / "init.npz"), "--out", str(tmp_path / "out"),
                           "--seconds", "20", "--batch", "32", "--producers", "2", "--threads", "1"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["steps"] > 0 and summary["samples"] == 32 * summary["steps"]
    assert 0 <= summary["val_policy_acc"] <= 1 and summary["val_value_mse"] < 1
    network = build_network(TINY)
    load_weights(network, tmp_path / "out" / "network.npz")
    check_probe(network, tmp_path / "out" / "network.npz")


def test_gpu_session_refuses_what_is_not_a_run_or_not_its_network_and_writes_nothing(tmp_path: Path) -> None:
    run = tiny_run(tmp_path)
    save_weights(build_network(network_spec("residual", blocks=2, filters=8)), tmp_path / "other.npz")
    bare = tmp_path / "bare.run"  # a run whose checkpoints are gone
    shutil.copytree(run, bare, ignore=shutil.ignore_patterns("checkpoints"))
    cases = [(["export", str(tmp_path), str(tmp_path / "w.npz")], "not a run folder", tmp_path / "w.npz"),
             (["export", str(bare), str(tmp_path / "w.npz")], "no checkpoint", tmp_path / "w.npz"),
             (["import", str(run), str(tmp_path / "other.npz"), str(tmp_path / "out.h5")], "not this model's",
              tmp_path / "out.h5")]
    for args, message, never_written in cases:
        done = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not never_written.exists()
