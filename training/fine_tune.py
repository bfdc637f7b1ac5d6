"""A few hundred steps of training on an existing network: what a student who copied another team's network
and trained it a little would upload. The copy finder's thresholds are measured against such copies
(tools/copy_thresholds.py) and the tests make them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golois.dataset import Batch, Dataset


def fine_tune(model: Any, games: str | Path, steps: int, batch: int = 64, learning_rate: float = 1e-3,
              seed: int = 0) -> Any:
    """Trains `model` in place for `steps` batches of `games` (Adam, the course's two losses); returns it."""
    import tf_keras

    dataset = Dataset(games, seed=seed, progress=False)
    model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate),
                  loss=["categorical_crossentropy", "binary_crossentropy"])
    arrays = Batch.zeros(batch)
    for step in range(steps):
        dataset.get_batch(*arrays, index=step * batch)
        model.train_on_batch(arrays.input_data, [arrays.policy, arrays.value.reshape(-1, 1)])
    return model
