"""The deep-learning framework, imported quietly and once.

Networks are built and trained with tf_keras, the Keras 2 implementation
that reads every legacy course file; the .h5 files it writes are made
loadable by Keras 3 too (see `network_file.save_network`).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hides TensorFlow's start-up chatter, keeps its errors

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf"]
