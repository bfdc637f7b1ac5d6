"""Training Golois networks: the network zoo, the trainer, evaluation.

TensorFlow is imported only when a function here needs it, so that the
rest of the `golois` command line starts fast.
"""
