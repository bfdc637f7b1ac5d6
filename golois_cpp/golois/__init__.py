"""Golois: Go rules, SGF import, games files and the batch generator.

The course API (``getBatch``, ``getValidation``) reads ``games.data`` in the
working directory, exactly like the original module; ``Dataset`` is the
modern API bound to any games file.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from golois._core import (
    BLACK,
    DEFAULT_KOMI,
    EMPTY,
    PASS,
    PLANES,
    PLAY_MOVE_LIMIT,
    SIZE,
    WHITE,
    Board,
    Game,
    GamesFile,
    GameState,
    GamesWriter,
    SgfGame,
    is_binary_games_file,
    parse_sgf,
    read_games,
    transform_point,
    write_text_games,
)
from golois.dataset import Batch, Dataset
from golois.legacy import getBatch, getValidation, set_games_file

try:
    __version__ = version("golois")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

SAMPLE_GAMES = Path(__file__).parent / "data" / "sample-9d.data"  # 200 real 9-dan games, for demos and benchmarks

__all__ = [
    "BLACK",
    "DEFAULT_KOMI",
    "Batch",
    "EMPTY",
    "PASS",
    "PLANES",
    "PLAY_MOVE_LIMIT",
    "SIZE",
    "WHITE",
    "Board",
    "Dataset",
    "Game",
    "GameState",
    "GamesFile",
    "GamesWriter",
    "SAMPLE_GAMES",
    "SgfGame",
    "getBatch",
    "getValidation",
    "is_binary_games_file",
    "parse_sgf",
    "read_games",
    "set_games_file",
    "transform_point",
    "write_text_games",
]
