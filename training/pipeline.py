"""Training batches made in a background thread while the network trains.

The C++ generator fills each batch with the GIL released, so the
producer thread runs truly in parallel with TensorFlow's training step.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from golois.dataset import Batch, Dataset

Sample = tuple[np.ndarray, dict[str, np.ndarray]]


class BatchStream:
    """An endless stream of (board, {policy, value}) batches, from sample `start` of the shuffled order."""

    def __init__(self, dataset: Dataset, batch_size: int, start: int = 0, depth: int = 4, threads: int = 1) -> None:
        self.dataset, self.batch_size, self.start = dataset, batch_size, start
        self.threads = threads
        self._queue: queue.Queue[Sample | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __iter__(self) -> Iterator[Sample]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._produce, name="golois-batches", daemon=True)
            self._thread.start()
        while True:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(timeout=0.05)

    def _produce(self) -> None:
        index = self.start
        try:
            while not self._stop.is_set():
                self._put(self._fill(index))
                index += self.batch_size
        except BaseException as error:  # handed to the consumer, which raises it in the training loop
            self._put(error)

    def _fill(self, index: int) -> Sample:
        arrays = Batch.zeros(self.batch_size)  # fresh arrays: TensorFlow may still hold the previous ones
        self.dataset.get_batch(*arrays, index, threads=self.threads)
        return arrays.input_data, {"policy": arrays.policy, "value": arrays.value[:, None]}

    def _put(self, item: Sample | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def as_tf_dataset(self) -> Any:
        """The stream as a tf.data.Dataset (what model.fit and tf.distribute consume)."""
        from golois.training.framework import tf

        n = self.batch_size
        signature = (tf.TensorSpec((n, 19, 19, 31), tf.float32),
                     {"policy": tf.TensorSpec((n, 361), tf.float32), "value": tf.TensorSpec((n, 1), tf.float32)})
        return tf.data.Dataset.from_generator(self.__iter__, output_signature=signature).prefetch(2)


def validation_arrays(dataset: Dataset, n: int) -> Sample:
    """The first n positions of the dataset's fixed validation set."""
    arrays = Batch.zeros(n)
    dataset.get_validation(arrays.input_data, arrays.policy, arrays.value, arrays.end)
    return arrays.input_data, {"policy": arrays.policy, "value": arrays.value[:, None]}
