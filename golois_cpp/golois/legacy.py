"""The original course API: getValidation / getBatch on games.data.

Course scripts call these module functions with preallocated float32
arrays, exactly as with the original golois module:

    golois.getValidation(input_data, policy, value, end)
    golois.getBatch(input_data, policy, value, end, groups, i * N)

The games file is ``games.data`` in the working directory, loaded on first
use; ``set_games_file`` points at another one. The validation set is
remembered in ``validation.data`` beside it, in the working directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from golois import _core
from golois.dataset import Dataset

DEFAULT_GAMES_FILE = "games.data"
VALIDATION_FILE = "validation.data"

_games_file: Path = Path(DEFAULT_GAMES_FILE)
_dataset: Dataset | None = None


def set_games_file(path: str | Path) -> None:
    """Makes getBatch/getValidation read `path` instead of ./games.data."""
    global _games_file, _dataset
    _games_file = Path(path)
    _dataset = None


def _course_dataset() -> Dataset:
    global _dataset
    if _dataset is None:
        if not _games_file.is_file():
            raise FileNotFoundError(
                f"golois: no games file '{_games_file}' in {Path.cwd()}; create one with "
                "'golois import-games SGF_FILES... --out games.data' or call golois.set_games_file(path)")
        _dataset = Dataset(_games_file)
        print(f"golois: {_dataset.num_games} games loaded from {_games_file}", file=sys.stderr, flush=True)
    return _dataset


def getValidation(input_data: np.ndarray, policy: np.ndarray, value: np.ndarray,  # noqa: N802
                  end: np.ndarray) -> None:
    """Fills N validation samples; the first call fixes (or reloads) the set."""
    n = _core.check_batch_arrays(input_data, policy, value, end)  # before anything is remembered
    dataset = _course_dataset()
    if not dataset.validation:
        dataset.use_validation(n, remember=VALIDATION_FILE)
    dataset.get_validation(input_data, policy, value, end)


def getBatch(input_data: np.ndarray, policy: np.ndarray, value: np.ndarray, end: np.ndarray,  # noqa: N802
             groups: np.ndarray, index: int) -> None:
    """Fills N training samples: positions index .. index + N - 1 of the shuffled order."""
    dataset = _course_dataset()
    if not dataset.validation and Path(VALIDATION_FILE).exists():
        # Keep the remembered validation games out of training even when a
        # script asks for batches first.
        dataset.use_validation(None, remember=VALIDATION_FILE)
    dataset.get_batch(input_data, policy, value, end, groups, index)
