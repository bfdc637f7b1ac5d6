"""The modern batch API: a dataset bound to one games file, with a seed.

Several datasets can live side by side (no global state); each fills
caller-owned numpy arrays in place, in C++ threads with the GIL released.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from golois import _core
from golois.errors import GoloisError
from golois.files import write_atomic
from golois.sgf_sources import sgf_source_hint

VALIDATION_HEADER = "# golois validation set v1"


class Batch(NamedTuple):
    """The arrays of N samples, in the layout of the course script (float32, C order)."""

    input_data: np.ndarray  # (N, 19, 19, 31)
    policy: np.ndarray  # (N, 361)
    value: np.ndarray  # (N,)
    end: np.ndarray  # (N, 19, 19, 2)
    groups: np.ndarray  # (N, 19, 19, 1)

    @classmethod
    def zeros(cls, n: int) -> Batch:
        size = _core.SIZE
        return cls(np.zeros((n, size, size, _core.PLANES), np.float32), np.zeros((n, size * size), np.float32),
                   np.zeros(n, np.float32), np.zeros((n, size, size, 2), np.float32),
                   np.zeros((n, size, size, 1), np.float32))


class ValidationFileMismatch(GoloisError, ValueError):
    """A remembered validation set does not belong to this games file or size."""


class _LoadProgress:
    """A progress bar for loading, shown only for files of many games."""

    MIN_GAMES = 20_000

    def __init__(self, path: Path, enabled: bool) -> None:
        self.path, self.enabled, self.bar = path, enabled, None

    def update(self, done: int, total: int) -> None:
        if self.bar is None and self.enabled and total >= self.MIN_GAMES:
            self.bar = tqdm(total=total, unit="games", unit_scale=True, desc=f"loading {self.path.name}")
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def __enter__(self) -> _LoadProgress:
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.close()


class Dataset:
    """Games loaded from a games file (binary or original text), ready to sample.

    >>> ds = Dataset("games.data", seed=0)
    >>> ds.use_validation(10_000, remember="validation.data")
    >>> ds.get_batch(x, policy, value, end, groups, index=0)
    """

    def __init__(self, games: str | Path, *, seed: int = 0, threads: int = 0, progress: bool = True) -> None:
        """Loads `games`; with `progress`, a progress bar on stderr for files of many games."""
        self.path = Path(games)
        if hint := sgf_source_hint(self.path):
            raise ValueError(hint)
        if not self.path.is_file():
            raise FileNotFoundError(f"games file not found: {self.path}")
        self.threads = threads
        self._core = _core.Dataset(seed)
        with _LoadProgress(self.path, enabled=progress) as bar:
            self.skipped: dict[str, int] = self._core.load(str(self.path), bar.update)
        if self._core.num_games == 0:
            raise ValueError(f"{self.path}: no usable game (refused: {self.skipped or 'none'})")

    @property
    def num_games(self) -> int:
        return self._core.num_games

    @property
    def num_training_positions(self) -> int:
        return self._core.num_training_positions

    @property
    def validation(self) -> list[tuple[int, int]]:
        """The (game, move) validation positions, in order."""
        return self._core.validation

    def fingerprint(self) -> str:
        return f"games={self._core.num_games} moves={self._core.num_moves} seed={self._core.seed}"

    def use_validation(self, n: int | None, remember: str | Path | None = None) -> None:
        """Holds out n validation positions (one per game) and their games.

        With `remember`, the set is read from that file when it exists, so
        that every run validates on the same positions, and written there
        otherwise. n=None takes the remembered set whatever its size.
        """
        path = Path(remember) if remember is not None else None
        if path is not None and path.exists():
            self._core.set_validation(self._read_validation_file(path, n))
            return
        if n is None:
            raise ValueError("the number of validation positions is needed to choose a new set")
        positions = self._core.choose_validation(n)
        if path is not None:
            self._write_validation_file(path, positions)

    def get_batch(self, input_data: np.ndarray, policy: np.ndarray, value: np.ndarray, end: np.ndarray,
                  groups: np.ndarray, index: int, *, threads: int | None = None, from_start: bool = False) -> None:
        """Fills N training samples: positions index .. index + N - 1 of the shuffled order.

        `threads` overrides the dataset's; `from_start` replays every game
        from its first move instead of the nearest snapshot (a benchmark
        baseline, same samples)."""
        used = self.threads if threads is None else threads
        self._core.get_batch(input_data, policy, value, end, groups, index, used, from_start)

    def get_validation(self, input_data: np.ndarray, policy: np.ndarray, value: np.ndarray,
                       end: np.ndarray) -> None:
        """Fills the first N validation samples (sample i with symmetry i % 8)."""
        self._core.get_validation(input_data, policy, value, end, self.threads)

    def sample(self, game: int, move: int, symmetry: int = 0) -> dict[str, np.ndarray]:
        """One position (before move `move` of game `game`) as arrays."""
        return self._core.sample(game, move, symmetry)

    def _read_validation_file(self, path: Path, n: int | None) -> list[tuple[int, int]]:
        lines = path.read_text().splitlines()
        if len(lines) < 3 or lines[0] != VALIDATION_HEADER:
            raise ValidationFileMismatch(f"{path} is not a Golois validation file; delete it to choose a new set")
        if lines[1] != self.fingerprint():
            raise ValidationFileMismatch(
                f"{path} was made for another games file or seed ({lines[1]}, this one: {self.fingerprint()}); "
                "delete it to choose a new validation set")
        positions = [tuple(map(int, line.split())) for line in lines[3:]]
        if int(lines[2]) != len(positions) or (n is not None and len(positions) != n):
            raise ValidationFileMismatch(
                f"{path} holds {len(positions)} validation positions but {n} are asked for; "
                "delete it to choose a new validation set")
        return positions

    def _write_validation_file(self, path: Path, positions: list[tuple[int, int]]) -> None:
        body = "\n".join(f"{game} {move}" for game, move in positions)
        write_atomic(path, f"{VALIDATION_HEADER}\n{self.fingerprint()}\n{len(positions)}\n{body}\n")
