"""Training batches made in a background thread while the network trains.

The C++ generator fills each batch with the GIL released, so the
producer thread runs truly in parallel with TensorFlow's training step.

Komi planes. Planes 21..30 are a one-hot of int(komi). When every game
has the same komi (all the 9-dan games have 6.5), those planes never vary
in training, and a network that never saw them change may do anything
when they do (the first bundled network's move prediction fell from 42% to
under 1% at komi 7.5). So for such data each training sample gets a random
komi one-hot instead (one of the ten planes, or none, for a komi outside
0..9.99, each with probability 1/11): the planes then carry no
information, and the network learns to ignore them. Its value stays the
probability that White wins at the komi of the data; one point of komi
matters only in the closest games.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from golois import SIZE, plane_slice
from golois.dataset import Batch, Dataset
from golois.network import BOARD_SHAPE

Sample = tuple[np.ndarray, dict[str, np.ndarray]]

KOMI_PLANES = plane_slice("komi")  # the first komi plane + k is all ones when int(komi) == k, k = 0..9
KOMI_COUNT = KOMI_PLANES.stop - KOMI_PLANES.start
# One row a komi plane, and a last row of zeros: no komi plane set (komi outside 0..9.99).
KOMI_ONE_HOT = np.eye(KOMI_COUNT + 1, KOMI_COUNT, dtype=np.float32)


def ownership_target(end: np.ndarray) -> np.ndarray:
    """(N, 19, 19, 3): the final position from the player to move: own stone, opponent stone, empty."""
    return np.concatenate([end, 1.0 - end.sum(axis=-1, keepdims=True)], axis=-1)


def training_sample(arrays: Batch, ownership: bool = False) -> Sample:
    """The (board, {policy, value[, ownership]}) pair that Keras trains on."""
    targets = {"policy": arrays.policy, "value": arrays.value[:, None]}
    if ownership:
        targets["ownership"] = ownership_target(arrays.end)
    return arrays.input_data, targets


def komi_planes(komi: float) -> np.ndarray:
    """The ten komi planes' values for `komi` (golois-format.md)."""
    return KOMI_ONE_HOT[int(komi)] if 0 <= komi < KOMI_COUNT else KOMI_ONE_HOT[KOMI_COUNT]


def set_komi(boards: np.ndarray, komi: float) -> None:
    """Shows every board the komi `komi`, in place."""
    boards[..., KOMI_PLANES] = komi_planes(komi)


def random_komi_rows(seed: int, index: int, n: int) -> np.ndarray:
    """For the n samples from `index`: which row of KOMI_ONE_HOT each gets (one of the ten planes, or none,
    alike likely), drawn from `seed` and `index` so that a resumed run draws the same."""
    return np.random.default_rng([seed, index]).integers(0, KOMI_COUNT + 1, n)


def randomise_komi(boards: np.ndarray, rows: np.ndarray) -> None:
    """Gives each board the komi one-hot of its row of KOMI_ONE_HOT, in place."""
    boards[..., KOMI_PLANES] = KOMI_ONE_HOT[rows][:, None, None, :]


def distinct_komi_planes(boards: np.ndarray) -> int:
    """How many different komi one-hots these boards show."""
    return len(np.unique(boards[:, 0, 0, KOMI_PLANES], axis=0))


class BatchStream:
    """An endless stream of training batches, from sample `start` of the shuffled order.

    Use as a context manager (or call close()) so that the producer thread stops.
    A failure of the producer is kept in `error` and raised to the consumer.
    """

    def __init__(self, dataset: Dataset, batch_size: int, start: int = 0, depth: int = 4, threads: int = 1,
                 ownership: bool = False, random_komi: bool = False, seed: int = 0, stride: int = 1) -> None:
        """`ownership` adds the ownership target; `random_komi` randomises the komi planes of every sample
        (drawn from `seed` and the sample's index, so a resumed run sees what it would have seen).
        `stride` k: every k-th batch from `start` (k streams started one batch apart, read in turn, give
        the batches of one stream, made by k producers)."""
        if stride < 1:
            raise ValueError(f"stride must be at least 1, not {stride}")
        self.dataset, self.batch_size, self.start, self.stride = dataset, batch_size, start, stride
        self.threads, self.ownership, self.random_komi, self.seed = threads, ownership, random_komi, seed
        self.error: Exception | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="golois-batches", daemon=True)
        self._start_lock = threading.Lock()

    def __enter__(self) -> BatchStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
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
                self._put(self.make_item(index))
                index += self.batch_size * self.stride
        except Exception as error:  # raised to the consumer by __iter__
            self.error = error

    def make_item(self, index: int) -> Any:
        """What the stream yields for the batch of samples from `index` (a subclass may yield another form)."""
        arrays = Batch.zeros(self.batch_size)  # fresh arrays: TensorFlow may still hold the previous ones
        self.dataset.get_batch(*arrays, index, threads=self.threads)
        if self.random_komi:
            randomise_komi(arrays.input_data, random_komi_rows(self.seed, index, self.batch_size))
        return training_sample(arrays, self.ownership)

    def _put(self, item: Any) -> None:
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
        targets = {"policy": tf.TensorSpec((n, SIZE * SIZE), tf.float32), "value": tf.TensorSpec((n, 1), tf.float32)}
        if self.ownership:
            targets["ownership"] = tf.TensorSpec((n, SIZE, SIZE, 3), tf.float32)
        signature = (tf.TensorSpec((n, *BOARD_SHAPE), tf.float32), targets)
        options = tf.data.Options()  # the stream is one source: tf.distribute splits its batches, never shards it
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return tf.data.Dataset.from_generator(self.__iter__, output_signature=signature).prefetch(2).with_options(
            options)


def validation_arrays(dataset: Dataset, n: int, ownership: bool = False) -> Sample:
    """The first n positions of the dataset's fixed validation set (with their real komi)."""
    arrays = Batch.zeros(n)
    dataset.get_validation(arrays.input_data, arrays.policy, arrays.value, arrays.end)
    return training_sample(arrays, ownership)
