"""The deep-learning framework, imported quietly and once.

Networks are built and trained with tf_keras, the Keras 2 implementation
that reads every legacy course file; the .h5 files it writes are made
loadable by Keras 3 too (see `network_file.save_network`).

TensorFlow's native libraries write start-up chatter straight to the
process's stderr (absl's "All log messages before absl::InitializeLog()",
oneDNN and CUDA notices, and on a machine without a GPU an error-level
"failed call to cuInit"), which its log-level variable does not silence.
So stderr is pointed at /dev/null while TensorFlow loads and looks for
devices, unless GOLOIS_VERBOSE is set. Python errors still reach the user.

GOLOIS_KERAS_BACKEND=jax (or torch) builds the same networks with Keras 3
on that backend instead, with `tf` None: for a borrowed GPU machine that has
JAX but no TensorFlow (training/device_train.py). Everything else in Golois
uses tf_keras.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

VERBOSE = bool(os.environ.get("GOLOIS_VERBOSE"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if VERBOSE else "3")


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Sends what native code writes to file descriptor 2 to /dev/null for the block (not with GOLOIS_VERBOSE)."""
    if VERBOSE:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


KERAS_BACKEND = os.environ.get("GOLOIS_KERAS_BACKEND")

if KERAS_BACKEND:
    os.environ["KERAS_BACKEND"] = KERAS_BACKEND
    import keras

    tf = None
else:
    with native_stderr_silenced():
        import tensorflow as tf
        import tf_keras as keras

        tf.get_logger().setLevel("INFO" if VERBOSE else "ERROR")
        tf.config.list_physical_devices()  # the GPU probe, and its cuInit error, happen now and quietly

__all__ = ["keras", "native_stderr_silenced", "tf"]
