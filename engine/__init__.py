"""The engine: PUCT search on any Golois network, GTP, matches and self-play."""

BACKENDS = ("onnxruntime", "openvino", "tensorflow")  # inference backends, tried in this order
