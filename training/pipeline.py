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


def training_sample(arrays: Batch) -> Sample:
    """The (board, {policy, value}) pair that Keras trains on."""
    return arrays.input_data, {"policy": arrays.policy, "value": arrays.value[:, None]}


class BatchStream:
    """An endless stream of training batches, from sample `start` of the shuffled order.

    Use as a context manager (or call close()) so that the producer thread stops.
    A failure of the producer is kept in `error` and raised to the consumer.
    """

    def __init__(self, dataset: Dataset, batch_size: int, start: int = 0, depth: int = 4, threads: int = 1) -> None:
        self.dataset, self.batch_size, self.start = dataset, batch_size, start
        self.threads = threads
        self.error: Exception | None = None
        self._queue: queue.Queue[Sample] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="golois-batches", daemon=True)
        self._start_lock = threading.Lock()

    def __enter__(self) -> BatchStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Sample]:
        with self._start_lock:
            if self._thread.ident is None:
                self._thread.start()
        while True:
            try:
                yield self._queue.get(timeout=0.1)
            except queue.Empty:
                if self.error is not None:
                    raise self.error from None
                if self._stop.is_set():
                    return

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _produce(self) -> None:
        index = self.start
        try:
            while not self._stop.is_set():
                self._put(self._fill(index))
                index += self.batch_size
        except Exception as error:  # raised to the consumer by __iter__
            self.error = error

    def _fill(self, index: int) -> Sample:
        arrays = Batch.zeros(self.batch_size)  # fresh arrays: TensorFlow may still hold the previous ones
        self.dataset.get_batch(*arrays, index, threads=self.threads)
        return training_sample(arrays)

    def _put(self, item: Sample) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def as_tf_dataset(self) -> Any:
        """The stream as a tf.data.Dataset (what model.fit and tf.distribute consume)."""
        from golois.network.framework import tf

        n = self.batch_size
        signature = (tf.TensorSpec((n, 19, 19, 31), tf.float32),
                     {"policy": tf.TensorSpec((n, 361), tf.float32), "value": tf.TensorSpec((n, 1), tf.float32)})
        options = tf.data.Options()  # the stream is one source: tf.distribute splits its batches, never shards it
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return tf.data.Dataset.from_generator(self.__iter__, output_signature=signature).prefetch(2).with_options(
            options)


def validation_arrays(dataset: Dataset, n: int) -> Sample:
    """The first n positions of the dataset's fixed validation set."""
    arrays = Batch.zeros(n)
    dataset.get_validation(arrays.input_data, arrays.policy, arrays.value, arrays.end)
    return training_sample(arrays)
