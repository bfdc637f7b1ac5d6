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
from golois.training.framework import keras, tf
from golois.training.limits import count_parameters
from golois.training.networks import NetworkSpec, build_network
from golois.training.pipeline import BatchStream
from golois.training.trainer import compile_for_training


def _in_memory_batches(dataset: Dataset, n: int) -> tuple[Any, dict[str, Any]]:
    arrays = Batch.zeros(n)
    dataset.get_batch(*arrays, 0)
    return arrays.input_data, {"policy": arrays.policy, "value": arrays.value[:, None]}


def _timed(fit: Any) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def bench_train(games: str | Path, spec: NetworkSpec, batch: int = 128, steps: int = 40,
                repeat: int = 3) -> dict[str, Any]:
    """Best-of-`repeat` samples/s of `steps` training steps, trainer pipeline and in-memory baseline alternating."""
    dataset = Dataset(games, seed=0, progress=False)
    keras.utils.set_random_seed(0)
    model = build_network(spec)
    compile_for_training(model, keras.optimizers.Adam(1e-3))
    boards, targets = _in_memory_batches(dataset, steps * batch)
    stream = BatchStream(dataset, batch, start=steps * batch)
    pipeline = stream.as_tf_dataset()
    try:
        def fit_in_memory() -> None:
            model.fit(boards, targets, batch_size=batch, epochs=1, shuffle=False, verbose=0)

        def fit_trainer() -> None:
            model.fit(pipeline, steps_per_epoch=steps, epochs=1, verbose=0)

        fit_in_memory()  # warm-up: builds and traces both training functions
        fit_trainer()
        baseline = trainer = float("inf")
        for _ in range(repeat):
            trainer = min(trainer, _timed(fit_trainer))
            baseline = min(baseline, _timed(fit_in_memory))
    finally:
        stream.close()
    samples = steps * batch
    return {
        "network": spec.as_dict(),
        "params": count_parameters(model),
        "batch": batch,
        "steps": steps,
        "samples_per_second": round(samples / trainer, 1),
        "baseline": {"design": "model.fit on in-memory numpy arrays, same network and batch",
                     "samples_per_second": round(samples / baseline, 1)},
        "ratio": round(baseline / trainer, 3),
        "devices": [device.name for device in tf.config.list_logical_devices()],
    }
