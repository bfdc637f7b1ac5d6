"""`golois bench train`: the trainer's samples/s against model.fit on in-memory arrays.

Both sides train the same network with the same batch size in the same
run. The baseline gets its data for free (arrays already in memory); the
trainer makes every batch with the C++ generator while the network trains.
A ratio near 1 means the data pipeline costs the training nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from golois.dataset import Batch, Dataset
from golois.network import count_parameters
from golois.network.framework import keras, tf
from golois.training.config import TrainConfig
from golois.training.networks import NetworkSpec, build_network
from golois.training.pipeline import BatchStream, training_sample
from golois.training.trainer import compile_for_training


def _timed(fit: Any) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def bench_train(games: str | Path, spec: NetworkSpec, batch: int = 128, steps: int = 40,
                repeat: int = 3) -> dict[str, Any]:
    """Best-of-`repeat` samples/s of `steps` training steps, trainer pipeline and in-memory baseline alternating.

    Each timing of the trainer starts a new stream with an empty queue, so
    no batch is made before its clock starts; the baseline's arrays are
    tensors already, so its clock counts training alone."""
    dataset = Dataset(games, seed=0, progress=False)
    keras.utils.set_random_seed(0)
    model = build_network(spec)
    compile_for_training(model, keras.optimizers.Adam(1e-3))
    arrays = Batch.zeros(steps * batch)
    dataset.get_batch(*arrays, 0)
    boards, targets = training_sample(arrays)
    in_memory = tf.data.Dataset.from_tensor_slices((boards, targets)).batch(batch).cache()
    next_sample = steps * batch

    def fit_in_memory() -> None:
        model.fit(in_memory, epochs=1, verbose=0)

    def fit_trainer() -> None:
        nonlocal next_sample
        with BatchStream(dataset, batch, start=next_sample, threads=TrainConfig.threads) as stream:
            model.fit(stream.as_tf_dataset(), steps_per_epoch=steps, epochs=1, verbose=0)
        next_sample += steps * batch

    fit_in_memory()  # warm-up: traces the training function and fills the cache
    fit_trainer()
    baseline = trainer = float("inf")
    for _ in range(repeat):
        trainer = min(trainer, _timed(fit_trainer))
        baseline = min(baseline, _timed(fit_in_memory))
    samples = steps * batch
    return {
        "network": spec.as_dict(),
        "params": count_parameters(model),
        "batch": batch,
        "steps": steps,
        "samples_per_second": round(samples / trainer, 1),
        "baseline": {"design": "model.fit on samples already in memory (cached tf.data), same network and batch",
                     "samples_per_second": round(samples / baseline, 1)},
        "ratio": round(baseline / trainer, 3),
        "devices": [device.name for device in tf.config.list_logical_devices()],
    }
