"""Checks our input planes against real student networks.

The networks in ../shared/models were trained on the original golois
encoding: if a plane of ours were off, their move prediction would drop.
The script prints each network's policy accuracy on validation positions
from a games file, and the same with a plane group spoiled on purpose, so
that the figure has a reference in the same run:

    python tools/check_encoding.py tygem.data ../shared/models/*.h5
"""

from __future__ import annotations

import os
import sys

import numpy as np

import golois
from golois.network import NetworkFileError, load_network
from golois.network.scores import evaluate_arrays

POSITIONS = 2000
SWAP_COLOURS = [12, 11, 14, 13, 16, 15, 18, 17, 20, 19]


def spoiled_variants(x: np.ndarray) -> dict[str, np.ndarray]:
    no_ladders = x.copy()
    no_ladders[..., 1:5] = 0
    swapped = x.copy()
    swapped[..., 11:21] = x[..., SWAP_COLOURS]
    no_history = x.copy()
    no_history[..., 13:21] = 0
    return {"ours": x, "ladders zeroed": no_ladders, "colours swapped": swapped, "history zeroed": no_history}


def main(games: str, models: list[str]) -> None:
    dataset = golois.Dataset(games, progress=False)
    dataset.use_validation(POSITIONS)
    batch = golois.Batch.zeros(POSITIONS)
    dataset.get_validation(*batch[:4])
    variants = spoiled_variants(batch.input_data)
    for path in models:
        try:
            model = load_network(path)
        except NetworkFileError as error:
            print(f"{os.path.basename(path):40s} skipped: {error}")
            continue
        accuracy = {name: evaluate_arrays(model, x, batch.policy, batch.value)["policy_accuracy"]
                    for name, x in variants.items()}
        print(f"{os.path.basename(path):40s} " + "  ".join(f"{k} {v:.3f}" for k, v in accuracy.items()), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
